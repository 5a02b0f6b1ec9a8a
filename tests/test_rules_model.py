"""Rules that need the model's metadata, run offline on the bundled snapshot (knowledge/models/, built
from the real Hugging Face files in tests/fixtures/hf). Each rule: fires on a bad config, quiet on a good one."""
from __future__ import annotations

import pytest
from conftest import EXAMPLES, codes, lint

from vllm_lint.config import Settings
from vllm_lint.engine import check, load_project, select_rules
from vllm_lint.hub import load_snapshot

FP8_VL = "Qwen/Qwen3-VL-32B-Instruct-FP8"
AWQ_CT = "cpatonn/Qwen3-VL-32B-Thinking-AWQ-4bit"
QWEN2_SMALL = "Qwen/Qwen2-1.5B-Instruct-AWQ"
QWEN3_32B_AWQ = "Qwen/Qwen3-32B-AWQ"


def needs(*models):
    missing = [m for m in models if load_snapshot(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"no bundled metadata for {', '.join(missing)}")


def compose(image: str, args: list[str], env: str = "") -> dict:
    quoted = ", ".join(f"'{a}'" for a in args)
    return {"compose.yaml": f"""
        services:
          llm:
            image: vllm/vllm-openai:{image}
            command: [{quoted}]
        {env}"""}


def run(tmp_path, image, args, select, hardware=None):
    settings = Settings(root=tmp_path, offline=True, hardware=hardware)
    return lint(tmp_path, compose(image, args), select=select, settings=settings)


@needs(AWQ_CT)
def test_quantization_mismatch_on_the_seed_002_profile():
    settings = Settings(root=EXAMPLES, offline=True, vllm_version="0.11.0")
    bad = check(load_project([EXAMPLES / "medium-vl-awq"], settings, cwd=EXAMPLES), select_rules(settings, ["VLL302"]))
    assert codes(bad) == ["VLL302"]
    assert "compressed-tensors" in bad.findings[0].message and bad.findings[0].fix is not None
    good = check(load_project([EXAMPLES / "medium-vl-fixed"], settings, cwd=EXAMPLES), select_rules(settings, ["VLL302"]))
    assert codes(good) == []


@needs(FP8_VL, QWEN3_32B_AWQ)
def test_dtype_half_on_a_bfloat16_model(tmp_path):
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL, "--dtype", "half"], ["VLL304"])) == ["VLL304"]
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_32B_AWQ, "--dtype", "half"], ["VLL304"])) == []
    result = run(tmp_path, "v0.11.0", ["--model", QWEN3_32B_AWQ, "--quantization", "awq", "--dtype", "bfloat16"], ["VLL304"])
    assert codes(result) == ["VLL304"] and result.findings[0].severity == "error"


@needs(FP8_VL)
def test_architecture_needs_the_release_that_serves_it(tmp_path):
    result = run(tmp_path, "v0.9.2", ["--model", FP8_VL], ["VLL305"])
    assert codes(result) == ["VLL305"] and "first served in vLLM 0.11.0" in result.findings[0].message
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL], ["VLL305"])) == []


@needs(QWEN2_SMALL)
def test_max_model_len_above_the_model_context(tmp_path):
    """Seed 004's micro profile: 128000 tokens of a 32768-token model."""
    result = run(tmp_path, "v0.9.2", ["--model", QWEN2_SMALL, "--max-model-len", "128000"], ["VLL306"])
    assert codes(result) == ["VLL306"] and "128000" in result.findings[0].message
    assert codes(run(tmp_path, "v0.9.2", ["--model", QWEN2_SMALL, "--max-model-len", "32768"], ["VLL306"])) == []


@needs(FP8_VL)
def test_tensor_parallel_that_does_not_divide_the_heads(tmp_path):
    result = run(tmp_path, "v0.11.0", ["--model", FP8_VL, "--tensor-parallel-size", "3"], ["VLL307"])
    assert "VLL307" in codes(result) and "must be divisible by tensor parallel size (3)" in result.findings[0].message
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL, "--tensor-parallel-size", "2"], ["VLL307"])) == []


@needs(QWEN3_32B_AWQ, FP8_VL)
def test_multimodal_flags_on_a_text_model(tmp_path):
    args = ["--limit-mm-per-prompt", '{"image":3}']
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_32B_AWQ, *args], ["VLL308"])) == ["VLL308"]
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL, *args], ["VLL308"])) == []


@needs(FP8_VL)
def test_rope_scaling_on_a_model_whose_native_context_covers_it(tmp_path):
    """Seed 003: YaRN x4 from 32768 on Qwen3-VL, native 262144."""
    rope = '{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}'
    result = run(tmp_path, "v0.11.0", ["--model", FP8_VL, "--max-model-len", "131072", "--rope-scaling", rope], ["VLL207"])
    assert codes(result) == ["VLL207"] and "already covers" in result.findings[0].message
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL, "--max-model-len", "131072"], ["VLL207"])) == []


@needs(FP8_VL)
def test_block_fp8_on_ampere(tmp_path):
    before = run(tmp_path, "v0.8.5.post1", ["--model", FP8_VL], ["VLL303"], hardware="rtx-3090")
    assert [f.severity for f in before.findings] == ["error"]
    after = run(tmp_path, "v0.11.0", ["--model", FP8_VL], ["VLL303"], hardware="rtx-3090")
    assert [f.severity for f in after.findings] == ["info"] and "W8A16" in after.findings[0].message
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL], ["VLL303"], hardware="rtx-4090")) == []
    assert codes(run(tmp_path, "v0.11.0", ["--model", FP8_VL], ["VLL303"], hardware="t4")) == ["VLL303"]


@needs(QWEN3_32B_AWQ)
def test_trust_remote_code_on_a_natively_served_model(tmp_path):
    result = run(tmp_path, "v0.11.0", ["--model", QWEN3_32B_AWQ, "--trust-remote-code"], ["VLL310"])
    assert codes(result) == ["VLL310"] and result.findings[0].severity == "info"
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_32B_AWQ], ["VLL310"])) == []
