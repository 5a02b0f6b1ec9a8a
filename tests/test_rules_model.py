"""Rules that need the model's metadata, run offline on the bundled snapshot (knowledge/models/, built
from the real Hugging Face files in tests/fixtures/hf). Each rule: fires on a bad config, quiet on a good one."""
from __future__ import annotations

import pytest
from conftest import EXAMPLES, codes, lint

from vllm_lint.config import Settings
from vllm_lint.engine import check, load_project, select_rules
from vllm_lint.models.snapshot import load_snapshot

VL_32B = "Qwen/Qwen3-VL-32B-Instruct"  # bf16, Qwen3VLForConditionalGeneration, native context 262144
QWEN3_8B = "Qwen/Qwen3-8B"  # bf16, 40960 tokens
CT_FP8 = "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8"  # compressed-tensors
AWQ = "TheBloke/Llama-2-7B-AWQ"  # awq, float16


def needs(*models):
    missing = [m for m in models if load_snapshot(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"no bundled metadata for {', '.join(missing)}")


def compose(image: str, args: list[str]) -> dict:
    quoted = ", ".join(f"'{a}'" for a in args)
    return {"compose.yaml": f"""
        services:
          llm:
            image: vllm/vllm-openai:{image}
            command: [{quoted}]
        """}


def run(tmp_path, image, args, select, hardware=None):
    settings = Settings(root=tmp_path, offline=True, hardware=hardware)
    return lint(tmp_path, compose(image, args), select=select, settings=settings)


@needs(CT_FP8, AWQ)
def test_quantization_awq_on_a_compressed_tensors_checkpoint(tmp_path):
    """Seed 002: --quantization awq on a checkpoint whose config.json says compressed-tensors."""
    result = run(tmp_path, "v0.11.0", ["--model", CT_FP8, "--quantization", "awq"], ["VLL302"])
    assert codes(result) == ["VLL302"]
    finding = result.findings[0]
    assert "compressed-tensors" in finding.message and "remove --quantization" in finding.hint
    assert finding.fix is not None and finding.fix.safe
    assert codes(run(tmp_path, "v0.11.0", ["--model", CT_FP8], ["VLL302"])) == []
    assert codes(run(tmp_path, "v0.11.0", ["--model", AWQ, "--quantization", "awq_marlin"], ["VLL302"])) == []
    assert codes(run(tmp_path, "v0.11.0", ["--model", AWQ, "--quantization", "gptq"], ["VLL302"])) == ["VLL302"]


@needs(CT_FP8)
def test_quantization_fix_removes_the_flag(tmp_path):
    import subprocess
    import sys

    from conftest import write

    write(tmp_path, {"compose.yaml": f"""
        services:
          llm:
            image: vllm/vllm-openai:v0.11.0
            command: >
              --model {CT_FP8}
              --quantization awq
              --max-model-len 8192
        """})
    out = subprocess.run([sys.executable, "-m", "vllm_lint", ".", "--offline", "--select", "VLL302", "--fix"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    text = (tmp_path / "compose.yaml").read_text()
    assert "--quantization" not in text and f"--model {CT_FP8}\n      --max-model-len 8192" in text


@needs(VL_32B, AWQ)
def test_dtype_half_on_a_bfloat16_model(tmp_path):
    """Seed 003: --dtype half on Qwen3-VL, trained in bfloat16."""
    assert codes(run(tmp_path, "v0.11.0", ["--model", VL_32B, "--dtype", "half"], ["VLL304"])) == ["VLL304"]
    assert codes(run(tmp_path, "v0.11.0", ["--model", AWQ, "--dtype", "half"], ["VLL304"])) == []
    result = run(tmp_path, "v0.11.0", ["--model", AWQ, "--quantization", "awq", "--dtype", "bfloat16"], ["VLL304"])
    assert codes(result) == ["VLL304"] and result.findings[0].severity == "error"


@needs(VL_32B)
def test_architecture_needs_the_release_that_serves_it(tmp_path):
    """Seed 002's log shows 0.6.4.post1 serving Qwen3VLForConditionalGeneration."""
    result = run(tmp_path, "v0.6.4.post1", ["--model", VL_32B], ["VLL305"])
    assert codes(result) == ["VLL305"] and "first served in vLLM 0.11.0" in result.findings[0].message
    assert codes(run(tmp_path, "v0.11.0", ["--model", VL_32B], ["VLL305"])) == []


@needs(QWEN3_8B)
def test_max_model_len_above_the_model_context(tmp_path):
    """Seed 004's micro profile asks 128000 tokens of a model with a shorter context."""
    result = run(tmp_path, "v0.9.2", ["--model", QWEN3_8B, "--max-model-len", "128000"], ["VLL306"])
    assert codes(result) == ["VLL306"] and "max_position_embeddings=40960" in result.findings[0].message
    assert codes(run(tmp_path, "v0.9.2", ["--model", QWEN3_8B, "--max-model-len", "32768"], ["VLL306"])) == []
    yarn = '{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}'
    assert codes(run(tmp_path, "v0.9.2", ["--model", QWEN3_8B, "--max-model-len", "128000", "--rope-scaling", yarn],
                     ["VLL306"])) == []


@needs(VL_32B)
def test_tensor_parallel_that_does_not_divide_the_heads(tmp_path):
    result = run(tmp_path, "v0.11.0", ["--model", VL_32B, "--tensor-parallel-size", "3"], ["VLL307"])
    assert "VLL307" in codes(result) and "must be divisible by tensor parallel size (3)" in result.findings[0].message
    assert "--tensor-parallel-size 2" in result.findings[0].hint
    assert codes(run(tmp_path, "v0.11.0", ["--model", VL_32B, "--tensor-parallel-size", "2"], ["VLL307"])) == []


@needs(QWEN3_8B, VL_32B)
def test_multimodal_flags_on_a_text_model(tmp_path):
    args = ["--limit-mm-per-prompt", '{"image":3}']
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B, *args], ["VLL308"])) == ["VLL308"]
    assert codes(run(tmp_path, "v0.11.0", ["--model", VL_32B, *args], ["VLL308"])) == []


@needs(VL_32B)
def test_rope_scaling_on_a_model_whose_native_context_covers_it(tmp_path):
    """Seed 003: YaRN x4 from 32768 on Qwen3-VL, native 262144."""
    rope = '{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}'
    result = run(tmp_path, "v0.11.0", ["--model", VL_32B, "--max-model-len", "131072", "--rope-scaling", rope], ["VLL207"])
    assert codes(result) == ["VLL207"] and "already covers" in result.findings[0].message
    assert codes(run(tmp_path, "v0.11.0", ["--model", VL_32B, "--max-model-len", "131072"], ["VLL207"])) == []


@needs(AWQ)
def test_awq_on_gpus_below_the_kernels_capability(tmp_path):
    assert [f.severity for f in run(tmp_path, "v0.11.0", ["--model", AWQ], ["VLL303"], hardware="v100-32gb").findings] == ["error"]
    assert [f.severity for f in run(tmp_path, "v0.11.0", ["--model", AWQ], ["VLL303"], hardware="t4").findings] == ["info"]
    assert codes(run(tmp_path, "v0.11.0", ["--model", AWQ], ["VLL303"], hardware="rtx-4090")) == []


@needs(QWEN3_8B)
def test_trust_remote_code_on_a_natively_served_model(tmp_path):
    result = run(tmp_path, "v0.11.0", ["--model", QWEN3_8B, "--trust-remote-code"], ["VLL310"])
    assert codes(result) == ["VLL310"] and result.findings[0].severity == "info"
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B], ["VLL310"])) == []


@needs(QWEN3_8B)
def test_parsers_of_another_family_on_a_qwen3_model(tmp_path):
    """Seed 004: deepseek_r1 / granite replaced by qwen3 / hermes on Qwen3 (an unsafe fix)."""
    args = ["--model", QWEN3_8B, "--reasoning-parser", "deepseek_r1", "--enable-auto-tool-choice", "--tool-call-parser", "granite"]
    result = run(tmp_path, "v0.11.0", args, ["VLL208"])
    assert codes(result) == ["VLL208", "VLL208"]
    assert [f.fix.safe for f in result.findings] == [False, False]
    assert "its reasoning parser is qwen3" in result.findings[0].message
    good = ["--model", QWEN3_8B, "--reasoning-parser", "qwen3", "--enable-auto-tool-choice", "--tool-call-parser", "hermes"]
    assert codes(run(tmp_path, "v0.11.0", good, ["VLL208"])) == []


def test_parser_the_release_does_not_have(tmp_path):
    """The qwen3 reasoning parser first appears in vLLM 0.9.0 (knowledge/vllm/parsers.yaml)."""
    result = run(tmp_path, "v0.8.5.post1", ["--model", "org/any", "--reasoning-parser", "qwen3"], ["VLL208"])
    assert codes(result) == ["VLL208"] and result.findings[0].severity == "error"
    assert "it exists from vLLM 0.9.0" in result.findings[0].message
    typo = run(tmp_path, "v0.11.0", ["--model", "org/any", "--tool-call-parser", "hermess"], ["VLL208"])
    assert "did you mean hermes" in typo.findings[0].hint
    assert codes(run(tmp_path, "v0.9.2", ["--model", "org/any", "--reasoning-parser", "qwen3"], ["VLL208"])) == []
