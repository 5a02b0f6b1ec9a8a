from conftest import write

from vllm_lint.loaders import script
from vllm_lint.loaders.context import LoadContext


def load(tmp_path, name, text):
    write(tmp_path, {name: text})
    return script.load(tmp_path / name, LoadContext(cwd=tmp_path, process_env={}))


def test_shell_script_with_continuations(tmp_path):
    [d] = load(tmp_path, "serve.sh", """
        #!/usr/bin/env bash
        set -euo pipefail
        # serve the medium model
        CUDA_VISIBLE_DEVICES=0,1 vllm serve Qwen/Qwen3-32B-AWQ \\
            --tensor-parallel-size 2 \\
            --max-model-len=32768 \\
            --reasoning-parser deepseek_r1 &
        wait
    """)
    assert d.kind == "script" and d.model == "Qwen/Qwen3-32B-AWQ"
    assert d.env["CUDA_VISIBLE_DEVICES"].value == "0,1"
    rp = d.arg("reasoning-parser")
    assert (rp.value, rp.value_span.line, rp.value_span.column) == ("deepseek_r1", 7, 24)
    assert d.arg("max-model-len").value_span.column == 21


def test_dockerfile_exec_form_and_pinned_pip_version(tmp_path):
    [d] = load(tmp_path, "Dockerfile", """
        FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
        RUN pip install vllm==0.9.2
        CMD ["python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "Qwen/Qwen3-8B", "--port", "8000"]
    """)
    assert d.version == "0.9.2" and d.launcher == "api_server"
    assert d.model == "Qwen/Qwen3-8B"
    assert (d.arg("port").value_span.line, d.arg("port").value_span.column) == (3, 100)


def test_script_without_launch(tmp_path):
    assert load(tmp_path, "x.sh", "echo vllm is great\n") == []
