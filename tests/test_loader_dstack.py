"""dstack services (loaders/dstack.py): commands read as a script, env, resources.gpu and DSTACK_GPUS_NUM."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import dstack
from vllm_lint.loaders.context import LoadContext

SERVICE = """
    type: service
    name: qwen
    image: vllm/vllm-openai:v0.10.2
    env:
      - HF_TOKEN
      - MODEL=Qwen/Qwen3-8B
    commands:
      - vllm serve $MODEL
        --tensor-parallel-size $DSTACK_GPUS_NUM
        --max-model-len 16384
    port: 8000
    resources:
      gpu: L40S:2
      shm_size: 16GB
"""


def load(tmp_path, text):
    write(tmp_path, {"service.dstack.yml": text})
    ctx = LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())
    return dstack.load(tmp_path / "service.dstack.yml", ctx)


def test_service_commands_env_and_gpus(tmp_path):
    [d] = load(tmp_path, SERVICE)
    assert d.source_format == "dstack" and d.version == "0.10.2" and d.model == "Qwen/Qwen3-8B"
    assert d.tensor_parallel == 2 and d.gpus[0].count == 2 and d.gpu_product == "l40s"
    assert d.env["HF_TOKEN"].value is None and d.env["MODEL"].value == "Qwen/Qwen3-8B"
    assert d.shm_size == "16GB" and d.ports[0].container == "8000"
    assert d.arg("max-model-len").value_span.line == 10  # a word of the multi-line plain scalar


def test_gpu_forms():
    from vllm_lint.loaders.keyed import accelerator

    assert accelerator("8:H200")[:2] == (["H200"], 8)
    assert accelerator("A100:40GB:2")[:2] == (["A100"], 2)
    assert accelerator("24GB..:1..2")[:2] == ([], None)
    assert accelerator("MI300X:8")[:2] == (["MI300X"], 8)


def test_no_shm_for_several_gpus_is_reported_and_broken_file(tmp_path):
    result = lint(tmp_path, {"service.dstack.yml": SERVICE.replace("  shm_size: 16GB\n", "")})
    assert "VLL109" in codes(result)
    assert "VLL001" in codes(lint(tmp_path / "b", {"service.dstack.yml": "type: service\ncommands: [\n"}))
