"""Issue 14: PaddleX's genai server with the vLLM backend (``paddleocr genai_server`` / ``paddlex_genai_server
--backend vllm``): a launch whose vLLM options are the model's PaddleX defaults, then the ``--backend_config`` file's
keys (found through the volume that mounts it), then the model, host and port the server forces. Another backend
(fastdeploy is PaddleX's default) is not a vLLM launch."""
from conftest import codes, lint

from vllm_lint.loaders import paddlex

GPU = "    deploy:\n      resources:\n        reservations:\n          devices: [{driver: nvidia, device_ids: [\"0\"], capabilities: [gpu]}]\n"


def compose(command: str, volumes: str = "      - ./vllm_config.yaml:/tmp/vllm_config.yaml:ro\n") -> str:
    return ("services:\n  vlm:\n    image: ccr.example.com/paddlepaddle/paddleocr-genai-vllm-server:latest-offline\n"
            + GPU + ("    volumes:\n" + volumes if volumes else "") + "    command: >\n      " + command + "\n")


CONFIG = "gpu_memory_utilization: 0.55\nmax_num_seqs: 64\nmax_model_len: 32768\nenforce_eager: false\n"


def test_backend_config_keys_are_the_launch_arguments_over_the_model_defaults(tmp_path):
    result = lint(tmp_path, {
        "compose.yaml": compose("paddleocr genai_server --model_name PaddleOCR-VL-0.9B --host 0.0.0.0 --port 8080 "
                                "--backend ${VLM_BACKEND:-vllm} --backend_config /tmp/vllm_config.yaml"),
        "vllm_config.yaml": CONFIG})
    [d] = result.project.deployments  # vllm_config.yaml is read through the launch, not again on its own
    assert (d.kind, d.name, d.path) == ("compose", "vlm", "compose.yaml")
    assert d.via == "PaddleX genai server --backend vllm (model PaddleOCR-VL-0.9B)"
    assert d.number("gpu-memory-utilization") == 0.55 and d.number("max-model-len", int) == 32768
    mml = d.arg("max-model-len").value_span
    assert (mml.path, mml.line) == ("vllm_config.yaml", 3)  # findings land in the backend configuration
    assert d.number("max-num-batched-tokens", int) == 131072  # PaddleX's default for the model
    assert d.flag_set("trust-remote-code") and d.value("served-model-name") == "PaddleOCR-VL-0.9B"
    assert (d.value("host"), d.value("port")) == ("0.0.0.0", "8080")
    # a boolean key is the bare flag whatever its value: enforce_eager: false runs eager
    assert d.flag_set("enforce-eager")
    assert any("enforce_eager: false" in n and "--enforce-eager" in n for n in d.notes)
    # the model is PaddleX's own download, a folder known at run time: no model check guesses it
    assert d.unknown("model") and "vllm_config.yaml" in d.depends_on_files
    assert d.config_file == "vllm_config.yaml"
    assert "VLL203" not in codes(result)  # PaddleX writes --model, not the configuration


def test_a_misspelled_key_of_the_backend_config_is_reported_there(tmp_path):
    result = lint(tmp_path, {
        "compose.yaml": compose("paddlex_genai_server --model_name PaddleOCR-VL-0.9B --backend=vllm "
                                "--backend_config /tmp/vllm_config.yaml --model_dir /models/vl"),
        "vllm_config.yaml": "gpu_memory_utilization: 0.6\nmax_model_length: 8192\n"})
    [d] = result.project.deployments
    assert d.model == "/models/vl" and (d.value("host"), d.value("port")) == ("localhost", "8000")
    [f] = [f for f in result.findings if f.code == "VLL201"]
    assert (f.span.path, f.span.line) == ("vllm_config.yaml", 2)


def test_another_backend_or_server_is_not_a_vllm_launch(tmp_path):
    for i, command in enumerate((
            "paddleocr genai_server --model_name PaddleOCR-VL-0.9B --backend fastdeploy",
            "paddleocr genai_server --model_name PaddleOCR-VL-0.9B",  # PaddleX's default backend: fastdeploy
            "/bin/bash -c \"paddlex --serve --pipeline /home/paddleocr/pipeline_config_vllm.yaml\"")):
        result = lint(tmp_path / str(i), {"compose.yaml": compose(command, volumes="")})
        assert result.project.deployments == [], command


def test_a_backend_config_that_is_not_in_the_tree_is_said_not_guessed(tmp_path):
    result = lint(tmp_path, {"compose.yaml": compose(
        "paddleocr genai_server --model_name PaddleOCR-VL-9.9B --backend vllm --backend_config /etc/vl.yaml",
        volumes="")})
    [d] = result.project.deployments
    assert any("--backend_config /etc/vl.yaml is not in the tree" in n for n in d.notes)
    assert any("defaults for PaddleOCR-VL-9.9B are not known" in n for n in d.notes)
    assert d.value("max-num-batched-tokens") is None


def test_an_unreadable_backend_config_is_a_problem_of_that_file(tmp_path):
    result = lint(tmp_path, {
        "compose.yaml": compose("paddleocr genai_server --model_name PaddleOCR-VL-0.9B --backend vllm "
                                "--backend_config /tmp/vllm_config.yaml"),
        "vllm_config.yaml": "gpu_memory_utilization: [0.5\n"})
    [d] = result.project.deployments  # still a launch, with PaddleX's defaults
    assert d.number("gpu-memory-utilization") == 0.5
    problems = [p for f in result.project.files if f.path == "vllm_config.yaml" for p in f.problems]
    assert [p.kind for p in problems] == ["unreadable"]  # said once, not again as a --config file of its own


def test_find_reads_the_server_options():
    from vllm_lint.launch.deployment import Word
    from vllm_lint.sources.span import Span

    words = [Word(v, Span.point("x")) for v in
             ("python", "-m", "paddlex.inference.genai.server", "--model_name", "M", "--backend", "vllm", "--port=9")]
    launch = paddlex.find(words)
    assert launch is not None and launch.options["--port"].value == "9" and launch.backend == "vllm"


def test_a_script_that_starts_the_server_is_a_launch(tmp_path):
    result = lint(tmp_path, {
        "serve.sh": ("#!/bin/bash\nset -e\nnohup paddlex_genai_server \\\n  --model_name PaddleOCR-VL-1.6-0.9B \\\n"
                     "  --backend vllm --port 8118 \\\n  --backend_config vl.yaml > server.log 2>&1 &\n"),
        "vl.yaml": "max-num-seqs: 32\n",
        "other.sh": "#!/bin/bash\npaddlex_genai_server --model_name PaddleOCR-VL-0.9B --backend sglang\n"})
    [d] = result.project.deployments
    assert (d.kind, d.path, d.span.line) == ("script", "serve.sh", 3)
    assert d.number("max-num-seqs", int) == 32 and d.value("port") == "8118"
    assert d.number("max-model-len", int) == 16384  # PaddleOCR-VL-1.6-0.9B's PaddleX defaults


def test_docker_run_of_the_server_reads_the_mounted_backend_config(tmp_path):
    result = lint(tmp_path, {
        "start.sh": ("#!/bin/bash\ndocker run -d --gpus all -v ./cfg/vl.yaml:/tmp/vl.yaml:ro \\\n"
                     "  registry.example.com/paddlepaddle/paddleocr-genai-vllm-server:latest \\\n"
                     "  paddleocr genai_server --model_name PaddleOCR-VL-0.9B --backend vllm --backend_config /tmp/vl.yaml\n"),
        "cfg/vl.yaml": "max-model-len: 4096\n"})
    [d] = result.project.deployments
    assert d.kind == "docker-run" and d.number("max-model-len", int) == 4096
    assert (d.arg("max-model-len").value_span.path, d.config_file) == ("cfg/vl.yaml", "cfg/vl.yaml")
