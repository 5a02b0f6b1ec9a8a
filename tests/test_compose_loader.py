from pathlib import Path

from conftest import write

from vllm_lint.loaders import compose
from vllm_lint.loaders.context import LoadContext


def load(root: Path, files: dict, names=("compose.yaml",), process_env=None, env_files=None):
    write(root, files)
    ctx = LoadContext(cwd=root, process_env=process_env or {}, env_files=env_files)
    return compose.load([root / n for n in names], ctx), ctx


def args(d):
    return [(a.name, a.value) for a in d.args]


def test_list_command_positions(tmp_path):
    [d], _ = load(tmp_path, {"compose.yaml": """
        services:
          llm:
            image: vllm/vllm-openai:v0.9.2
            command:
              - "--port=8092"
              - --max-model-len
              - '4096'
    """})
    assert d.version == "0.9.2" and d.launcher == "image entrypoint"
    port, mml = d.args
    assert (port.name, port.value) == ("port", "8092")
    assert (port.flag_span.line, port.flag_span.column, port.value_span.column) == (5, 10, 17)
    assert (mml.value, mml.value_span.line, mml.value_span.column) == ("4096", 7, 10)


def test_folded_string_command_positions_and_interpolation(tmp_path):
    [d], ctx = load(tmp_path, {"compose.yaml": """
        services:
          llm:
            image: vllm/vllm-openai:latest
            command: >
              --port ${PORT:-5003}
              --model Qwen/Qwen3-8B

              --limit-mm-per-prompt '{"image": 3}'
              --skip-mm-profiling
    """})
    assert args(d) == [("port", "5003"), ("model", "Qwen/Qwen3-8B"), ("limit-mm-per-prompt", '{"image": 3}'),
                       ("skip-mm-profiling", None)]
    limit = d.args[2]
    assert (limit.flag_span.line, limit.flag_span.column, limit.value_span.line, limit.value_span.column) == (8, 7, 8, 29)
    assert d.args[0].variables[0].name == "PORT"
    assert d.version is None


def test_vllm_serve_entrypoint_and_positional_model(tmp_path):
    [d], _ = load(tmp_path, {"compose.yaml": """
        services:
          llm:
            image: ghcr.io/acme/inference:1.2
            entrypoint: ["vllm", "serve"]
            command: ["Qwen/Qwen3-8B", "--tensor_parallel_size", "2", "--no-enable-prefix-caching"]
    """})
    assert d.launcher == "vllm serve"
    assert d.model == "Qwen/Qwen3-8B" and d.model_arg.origin == "positional"
    assert d.tensor_parallel == 2
    assert d.arg("tensor-parallel-size").flag == "--tensor_parallel_size"


def test_bash_c_command(tmp_path):
    [d], _ = load(tmp_path, {"compose.yaml": """
        services:
          llm:
            image: python:3.12
            command: ["bash", "-c", "pip install vllm && python3 -m vllm.entrypoints.openai.api_server --model m --port 9000"]
    """})
    assert d.launcher == "api_server"
    assert d.value("port") == "9000"
    assert d.arg("port").value_span.column > 40


def test_not_a_vllm_service(tmp_path):
    deployments, _ = load(tmp_path, {"compose.yaml": """
        services:
          db:
            image: postgres:16
            command: ["postgres", "-c", "max_connections=200"]
    """})
    assert deployments == []


def test_environment_forms_env_file_and_dotenv_precedence(tmp_path):
    [d], ctx = load(tmp_path, {
        ".env": "A=from-dotenv\nB=dotenv-b\nexport C='quoted # not a comment'\n",
        "container.env": "FROM_FILE=1\n",
        "compose.yaml": """
            services:
              llm:
                image: vllm/vllm-openai:v0.11.0
                env_file: container.env
                environment:
                  KEY_A: ${A}
                  KEY_B: ${B}
                  KEY_C: ${C}
                command: ["--model", "m"]
        """}, process_env={"B": "from-shell"})
    env = {k: v.value for k, v in d.env.items()}
    assert env == {"FROM_FILE": "1", "KEY_A": "from-dotenv", "KEY_B": "from-shell", "KEY_C": "quoted # not a comment"}
    use = d.env["KEY_A"].variables[0]
    assert use.defined_at.path == ".env" and use.defined_at.line == 1


def test_env_file_option_replaces_dotenv(tmp_path):
    [d], _ = load(tmp_path, {".env": "M=wrong\n", "other.env": "M=right\n",
                            "compose.yaml": 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    command: ["--model=${M}"]\n'},
                  env_files=[tmp_path / "other.env"])
    assert d.model == "right"


def test_ports_volumes_gpus_healthcheck(tmp_path):
    [d], _ = load(tmp_path, {"compose.yaml": """
        services:
          llm:
            image: vllm/vllm-openai:v0.11.0
            runtime: nvidia
            ipc: host
            shm_size: 16gb
            ports:
              - "127.0.0.1:5000:8000"
              - 9000
              - target: 8001
                published: "5001"
            volumes:
              - ./models:/models:ro
              - type: volume
                source: hf
                target: /root/.cache/huggingface
            healthcheck:
              test: curl -f http://localhost:8000/health || exit 1
            deploy:
              resources:
                reservations:
                  devices:
                    - driver: nvidia
                      device_ids: ["0", "1"]
                      capabilities: [gpu]
            command: ["--model", "/models/m"]
    """})
    assert [(p.host, p.container) for p in d.ports] == [("127.0.0.1:5000", "8000"), (None, "9000"), ("5001", "8001")]
    assert [(v.source, v.target, v.kind) for v in d.volumes] == [("./models", "/models", "bind"), ("hf", "/root/.cache/huggingface", "volume")]
    assert d.gpus[0].device_ids == ["0", "1"]
    assert d.healthcheck.test[:3] == ["curl", "-f", "http://localhost:8000/health"]
    assert (d.ipc, d.shm_size, d.runtime) == ("host", "16gb", "nvidia")
    assert d.host_path("/models/m") == tmp_path / "models" / "m"
    assert d.host_path("/elsewhere") is None


def test_gpu_count_all_and_visible_devices(tmp_path):
    deployments, _ = load(tmp_path, {"compose.yaml": """
        services:
          a:
            image: vllm/vllm-openai:v0.11.0
            deploy: {resources: {reservations: {devices: [{driver: nvidia, count: all, capabilities: [gpu]}]}}}
          b:
            image: vllm/vllm-openai:v0.11.0
            runtime: nvidia
            environment: ["NVIDIA_VISIBLE_DEVICES=2,3"]
    """})
    a, b = deployments
    assert a.gpus[0].count == -1
    assert b.gpus[0].device_ids == ["2", "3"] and b.gpus[0].how == "NVIDIA_VISIBLE_DEVICES"


def test_anchors_merge_keys_and_extension_fields(tmp_path):
    [d], _ = load(tmp_path, {"compose.yaml": """
        x-vllm: &vllm
          image: vllm/vllm-openai:v0.10.2
          environment:
            HF_HOME: /hf
        services:
          llm:
            <<: *vllm
            command: ["--model", "m"]
    """})
    assert d.image == "vllm/vllm-openai:v0.10.2" and d.env["HF_HOME"].value == "/hf"


def test_extends_same_and_other_file(tmp_path):
    deployments, _ = load(tmp_path, {
        "base.yaml": 'services:\n  common:\n    image: vllm/vllm-openai:v0.9.2\n    environment: ["A=1"]\n',
        "compose.yaml": """
            services:
              base:
                image: vllm/vllm-openai:v0.11.0
                command: ["--model", "base"]
              child:
                extends: base
                command: ["--model", "child"]
              other:
                extends: {service: common, file: base.yaml}
                command: ["--model", "other"]
        """})
    by_name = {d.name: d for d in deployments}
    assert by_name["child"].image == "vllm/vllm-openai:v0.11.0" and by_name["child"].model == "child"
    assert by_name["other"].version == "0.9.2" and by_name["other"].env["A"].value == "1"


def test_override_files_merge_like_compose(tmp_path):
    [d], _ = load(tmp_path, {
        "compose.yaml": """
            services:
              llm:
                image: vllm/vllm-openai:v0.9.2
                environment: [A=1, B=2]
                ports: ["5000:8000"]
                command: ["--model", "m", "--max-model-len", "4096"]
        """,
        "compose.override.yaml": """
            services:
              llm:
                image: vllm/vllm-openai:v0.11.0
                environment: {B: "3"}
                ports: ["5001:8000"]
                command: ["--model", "m2"]
        """}, names=("compose.yaml", "compose.override.yaml"))
    assert d.version == "0.11.0"
    assert {k: v.value for k, v in d.env.items()} == {"A": "1", "B": "3"}
    assert args(d) == [("model", "m2")]
    assert [p.host for p in d.ports] == ["5000", "5001"]
    assert d.args[0].flag_span.path == "compose.override.yaml"


def test_unset_variable_is_a_problem_with_position(tmp_path):
    _, ctx = load(tmp_path, {".env": "MODEL_NAME=x\n", "compose.yaml": """
        services:
          llm:
            image: vllm/vllm-openai:v0.9.2
            command: ["--model=${MODEL_NAME_MEDIUM}"]
    """})
    [problem] = [p for sf in ctx.sources.values() for p in sf.problems]
    assert (problem.kind, problem.detail, problem.span.line, problem.span.column) == ("unset-variable", "MODEL_NAME_MEDIUM", 4, 24)
