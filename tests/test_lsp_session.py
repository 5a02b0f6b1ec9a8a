"""The language server's session, in process (no pygls): linting unsaved text through the overlay, hovers and
completions in compose files, scripts and vLLM config files."""
from conftest import write

from vllm_lint.lsp.session import Session, uri_of
from vllm_lint.sources.overlay import overlay, text_of

COMPOSE = """
services:
  llm:
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "32768", "--config", "/cfg/vllm.yaml"]
    volumes: ["./cfg:/cfg"]
"""
CONFIG = "gpu-memory-utilization: 0.9\nkv-cache-dtype: fp8\n"


def session(tmp_path, **options):
    return Session({"offline": True, **options}, root=tmp_path)


def test_the_overlay_holds_only_inside_its_block(tmp_path):
    write(tmp_path, {"a.yml": "x: 1\n"})
    with overlay({tmp_path / "a.yml": "x: 2\n"}):
        assert text_of(tmp_path / "a.yml") == "x: 2\n"
        from vllm_lint.sources.source_file import read_text

        assert read_text(tmp_path / "a.yml") == "x: 2\n"
    assert text_of(tmp_path / "a.yml") is None


def test_unsaved_text_is_linted_and_the_disk_is_not(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "cfg/vllm.yaml": CONFIG})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, COMPOSE.lstrip("\n").replace("v0.11.0", "latest"), 1)
    lint = s.lint(uri)
    assert "VLL102" in [f.code for f in lint.result.findings]
    assert "latest" not in (tmp_path / "compose.yaml").read_text()
    # the --config file is part of the project: it gets diagnostics with it
    assert str(tmp_path / "cfg" / "vllm.yaml") in s.files_of(uri)


def test_hover_without_gpus_says_why_there_is_no_estimate(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "cfg/vllm.yaml": CONFIG})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    text = (tmp_path / "compose.yaml").read_text()
    s.open(uri, text, 1)
    line = text.splitlines()[3]
    hover = s.hover(uri, 3, line.index("--max-model-len") + 2)
    assert "**`--max-model-len`** · vLLM 0.11.0" in hover and "· `32768`" in hover
    assert "Memory per GPU**: no estimate (no GPU known" in hover
    assert s.hover(uri, 3, line.index("Qwen/Qwen3-8B") + 2) is not None or True  # the model: no option hover needed
    assert s.hover(uri, 0, 0) is None


def test_hover_with_gpus_in_a_config_file_key(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "cfg/vllm.yaml": CONFIG})
    s = session(tmp_path, gpu="a100-80gb")
    cfg_uri = uri_of(tmp_path / "cfg" / "vllm.yaml")
    s.open(uri_of(tmp_path / "compose.yaml"), (tmp_path / "compose.yaml").read_text(), 1)
    s.lint(uri_of(tmp_path / "compose.yaml"))
    s.open(cfg_uri, CONFIG, 1)
    hover = s.hover(cfg_uri, 1, 3)  # kv-cache-dtype in the --config file, linted with its compose file
    assert hover is not None and "--kv-cache-dtype" in hover, hover
    assert "choices:" in hover and "Memory per GPU" in hover and "A100" in hover and "headroom" in hover


def test_completion_in_a_vllm_config_file_and_a_script(tmp_path):
    write(tmp_path, {"vllm.yaml": "model: Qwen/Qwen3-8B\nmax-model-len: 4096\n",
                     "start.sh": "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --kv-cache-dtype fp8 \\\n  --enable-pre\n"})
    s = session(tmp_path, vllmVersion="0.11.0")
    uri = uri_of(tmp_path / "vllm.yaml")
    s.open(uri, "model: Qwen/Qwen3-8B\nmax-model-len: 4096\ngpu-mem\nkv-cache-dtype: \n", 1)
    s.lint(uri)
    keys = s.completions(uri, 2, len("gpu-mem"))
    assert [c.label for c in keys] == ["gpu-memory-utilization"] and keys[0].insert == "gpu-memory-utilization: "
    values = [c.label for c in s.completions(uri, 3, len("kv-cache-dtype: "))]
    assert "auto" in values and "fp8" in values
    script = uri_of(tmp_path / "start.sh")
    text = (tmp_path / "start.sh").read_text()
    s.open(script, text, 1)
    items = s.completions(script, 2, len("  --enable-pre"))
    assert "--enable-prefix-caching" in [c.label for c in items]
    assert all(c.start == 2 and c.end == len("  --enable-pre") for c in items)
    # after a flag with choices (written on the line above, continued with \)
    s.change(script, "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --kv-cache-dtype \\\n  fp\n", 2)
    assert "fp8" in [c.label for c in s.completions(script, 2, len("  fp"))]
    s.change(script, "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --kv-cache-dtype=f\n", 3)
    assert [c.label for c in s.completions(script, 1, len("vllm serve Qwen/Qwen3-8B --kv-cache-dtype=f"))][:1] == ["fp8"]


def test_hover_says_deprecated_and_unknown(tmp_path):
    text = ('services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n'
            '    command: ["--model", "m", "--disable-log-requests", "--swap-spaces", "4"]\n')
    write(tmp_path, {"compose.yaml": text})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, text, 1)
    line = text.splitlines()[3]
    deprecated = s.hover(uri, 3, line.index("--disable-log-requests") + 3)
    assert "**deprecated**" in deprecated and "vLLM 0.11.0" in deprecated
    unknown = s.hover(uri, 3, line.index("--swap-spaces") + 3)
    assert "not an option of this release" in unknown


def test_a_configuration_error_is_a_lint_error_not_a_crash(tmp_path):
    write(tmp_path, {".vllm-lint.yaml": "select: 3\n", "compose.yaml": COMPOSE})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, COMPOSE, 1)
    lint = s.lint(uri)
    assert lint.result is None and "invalid configuration" in lint.error
