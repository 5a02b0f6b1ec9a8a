"""Nightly images are judged as the release they lead to (linter/vllm/nightly.py)."""
from conftest import lint

from vllm_lint.loaders.command import version_from_image
from vllm_lint.vllm.nightly import builds, nightly


def test_a_release_commit_is_that_release():
    release = next(b for b in builds() if b["version"] == "0.11.0")
    n = nightly(f"vllm/vllm-openai:nightly-{release['commit']}")
    assert n.release == "0.11.0" and not n.assumed and "commit of release 0.11.0" in n.why


def test_a_dated_nightly_leads_to_the_next_release():
    n = nightly("vllm/vllm-openai:nightly-2025-11-25")
    assert n.release == "0.12.0" and n.why.startswith("nightly of 2025-11-25, leads to 0.12.0")
    assert nightly("vllm/vllm-openai:nightly-20251125").release == "0.12.0"
    assert version_from_image("vllm/vllm-openai:nightly-2025-11-25") == "0.12.0"


def test_unknown_dates_are_an_assumption_never_silent():
    for tag in ("nightly", "nightly-0123456789abcdef0123456789abcdef01234567", "nightly-2099-01-01"):
        n = nightly(f"vllm/vllm-openai:{tag}")
        assert n.release is None and n.assumed and "newest release known" in n.why
    assert nightly("vllm/vllm-openai:v0.11.0") is None and nightly("myorg/app:nightly") is None


def test_findings_say_which_release_knowledge_and_why(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """
        services:
          dated:
            image: vllm/vllm-openai:nightly-2025-11-25
            command: ["Qwen/Qwen3-8B", "--enable-reasoning"]
          floating:
            image: vllm/vllm-openai:nightly
            command: ["Qwen/Qwen3-8B", "--enable-reasoning"]
    """}, select=["VLL201"])
    by = {f.deployment: f for f in result.findings}
    assert "vLLM 0.12.0 (nightly of 2025-11-25, leads to 0.12.0" in by["dated"].message
    assert by["dated"].severity == "error"
    assert "(assumed: a nightly of unknown date: the newest release known stands in)" in by["floating"].message
    assert by["floating"].severity == "warning"
    assert any("the image is a nightly of unknown date" in n for n in result.notes)
