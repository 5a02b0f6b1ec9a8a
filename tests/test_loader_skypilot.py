"""SkyPilot tasks (loaders/skypilot.py): the run script read by the script machinery, envs as its variables,
the accelerators as the candidate GPUs."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import skypilot
from vllm_lint.loaders.context import LoadContext
from vllm_lint.sources.discover import classify

TASK = """
    envs:
      MODEL_NAME: Qwen/Qwen3-8B
      HF_TOKEN: null
    resources:
      accelerators: {L4:2, A100:2}
      ports: 8000
    setup: |
      pip install vllm==0.10.2
    run: |
      export VLLM_LOGGING_LEVEL=INFO
      vllm serve $MODEL_NAME \\
        --tensor-parallel-size $SKYPILOT_NUM_GPUS_PER_NODE \\
        --max-model-len 16384 --port 8000
"""


def load(tmp_path, text, name="task.yaml"):
    write(tmp_path, {name: text})
    ctx = LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())
    return skypilot.load(tmp_path / name, ctx)


def test_found_by_content(tmp_path):
    write(tmp_path, {"task.yaml": TASK, "ci.yaml": "run: make test\nname: ci\njobs: {}\n"})
    assert classify(tmp_path / "task.yaml", (tmp_path / "task.yaml").read_text()) == "format:skypilot"
    assert classify(tmp_path / "ci.yaml", (tmp_path / "ci.yaml").read_text()) is None


def test_run_script_with_envs_and_candidate_gpus(tmp_path):
    [d] = load(tmp_path, TASK)
    assert d.source_format == "skypilot" and d.kind == "script" and d.version == "0.10.2"
    assert d.model == "Qwen/Qwen3-8B" and d.tensor_parallel == 2  # SKYPILOT_NUM_GPUS_PER_NODE = the count
    assert d.value("max-model-len") == "16384" and d.arg("max-model-len").value_span.line == 13
    assert d.gpus[0].count == 2 and d.gpu_product == "l4"  # the candidate with the least memory
    assert any("L4:2, A100:2" in n for n in d.notes)


def test_different_counts_leave_the_gpu_count_unknown(tmp_path):
    [d] = load(tmp_path, TASK.replace("{L4:2, A100:2}", "[L4:4, A100-80GB:2]"))
    assert d.unknown("tensor-parallel-size") and not d.gpus


def test_single_accelerator_and_docker_image(tmp_path):
    [d] = load(tmp_path, """
        resources:
          accelerators: H100:8
          image_id: docker:vllm/vllm-openai:v0.11.0
        run: vllm serve Qwen/Qwen3-32B --tensor-parallel-size 4
    """)
    assert d.image == "vllm/vllm-openai:v0.11.0" and d.version == "0.11.0"
    assert d.gpus[0].count == 8 and d.gpu_product == "h100-sxm"
    result = lint(tmp_path / "lint", {"t.sky.yaml": """
        resources: {accelerators: H100:8}
        run: vllm serve Qwen/Qwen3-32B --tensor-parallel-size 4
    """})
    assert [f.severity for f in result.findings if f.code == "VLL107"] == ["warning"]  # 4 of 8 GPUs used


def test_broken_task(tmp_path):
    assert "VLL001" in codes(lint(tmp_path, {"t.sky.yaml": "resources: {accelerators: [\nrun: vllm serve x\n"}))
    assert "VLL001" in codes(lint(tmp_path / "b", {"t.sky.yaml": "run: |\n  vllm serve 'Qwen/Qwen3-8B\n"}))
