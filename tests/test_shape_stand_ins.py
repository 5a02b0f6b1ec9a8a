"""Rules that need only the model's shapes (NEEDS "shapes": context length VLL306, rope scaling VLL207,
tensor-parallel divisibility VLL307) read the base model's when only a quantized derivative's name is known,
and say so; the rules that need the checkpoint itself (its quantization) are still skipped, and say why."""
from __future__ import annotations

import pytest
from conftest import codes, lint

from vllm_lint.config import Settings
from vllm_lint.models.request import ModelError
from vllm_lint.models.snapshot import load_snapshot
from vllm_lint.models.stand_in import shape_source

AWQ_8B = "Qwen/Qwen3-8B-AWQ"  # not bundled: its base Qwen/Qwen3-8B is (32 heads, 8 KV heads, 40960 tokens)
BASE = "Qwen/Qwen3-8B"
LABEL = f"{AWQ_8B} (from {BASE}'s shapes: its own metadata is not available)"

pytestmark = pytest.mark.skipif(load_snapshot(BASE) is None or load_snapshot(AWQ_8B) is not None,
                                reason="needs Qwen/Qwen3-8B bundled and Qwen/Qwen3-8B-AWQ not")


def run(tmp_path, args, select):
    quoted = ", ".join(f"'{a}'" for a in args)
    files = {"compose.yaml": f"""
        services:
          llm:
            image: vllm/vllm-openai:v0.11.0
            command: [{quoted}]
        """}
    return lint(tmp_path, files, select=select, settings=Settings(root=tmp_path, offline=True))


def test_tensor_parallel_divisibility_from_the_base_model(tmp_path):
    result = run(tmp_path, ["--model", AWQ_8B, "--tensor-parallel-size", "3"], ["VLL307"])
    heads, kv_heads = result.findings
    assert heads.code == kv_heads.code == "VLL307" and heads.severity == "error"
    assert heads.message.startswith(f"--tensor-parallel-size 3 on {LABEL}: Total number of attention heads (32)")
    assert kv_heads.message == f"--tensor-parallel-size 3 on {LABEL}: its 8 KV heads can be neither split over nor " \
                               "replicated on 3 GPUs"
    assert "--tensor-parallel-size 2" in heads.hint
    # the quantization's own block and group sizes cannot be checked: a note says so
    assert any("VLL307" in n and AWQ_8B in n and "only in the checkpoint's own config.json" in n for n in result.notes)
    assert codes(run(tmp_path, ["--model", AWQ_8B, "--tensor-parallel-size", "4"], ["VLL307"])) == []


def test_max_model_len_from_the_base_model(tmp_path):
    [f] = run(tmp_path, ["--model", AWQ_8B, "--max-model-len", "131072"], ["VLL306"]).findings
    assert f.code == "VLL306"
    assert f"--max-model-len 131072 is longer than the context of {LABEL} (40960: max_position_embeddings=40960)" \
        in f.message
    assert codes(run(tmp_path, ["--model", AWQ_8B, "--max-model-len", "32768"], ["VLL306"])) == []


def test_rope_scaling_from_the_base_model(tmp_path):
    rope = '{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}'
    [f] = run(tmp_path, ["--model", AWQ_8B, "--max-model-len", "32768", "--rope-scaling", rope], ["VLL207"]).findings
    assert f.code == "VLL207" and LABEL in f.message and "native context (max_position_embeddings=40960)" in f.message


def test_the_checks_of_the_checkpoint_itself_stay_skipped(tmp_path):
    result = run(tmp_path, ["--model", AWQ_8B, "--quantization", "gptq", "--max-model-len", "131072"],
                 ["VLL302", "VLL306"])
    assert codes(result) == ["VLL306"]
    assert any(n.startswith("skipped VLL302") and "no model metadata" in n for n in result.notes)


def test_own_metadata_is_used_as_is(tmp_path):
    f = run(tmp_path, ["--model", BASE, "--tensor-parallel-size", "3"], ["VLL307"]).findings[0]
    assert f.message.startswith(f"--tensor-parallel-size 3 on {BASE}: ") and "shapes" not in f.message
    result = run(tmp_path, ["--model", BASE, "--max-model-len", "131072"], ["VLL306"])
    assert f"longer than {BASE}'s context (40960" in result.findings[0].message
    assert not any("only in the checkpoint's own" in n for n in result.notes)


def test_no_stand_in_when_the_id_is_wrong_or_a_folder():
    assert shape_source(AWQ_8B, None, ModelError("not-found", "404")) is None
    assert shape_source("/models/Qwen3-8B-AWQ", None) is None
    assert shape_source("someone/Unknown-7B-AWQ", None) is None
    source = shape_source(AWQ_8B, None, ModelError("gated", "token needed"))
    assert source.base == BASE and source.method == "awq" and source.bits == 4 and source.label == LABEL
    own = shape_source(BASE, load_snapshot(BASE))
    assert own.base is None and own.label == BASE


def test_without_any_shapes_the_rules_are_skipped(tmp_path):
    result = run(tmp_path, ["--model", "someone/Unknown-7B-AWQ", "--tensor-parallel-size", "3",
                            "--max-model-len", "131072"], ["VLL306", "VLL307"])
    assert result.findings == [] and any(n.startswith("skipped VLL306, VLL307: no model metadata") for n in result.notes)
