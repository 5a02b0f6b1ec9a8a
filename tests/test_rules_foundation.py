"""Each foundation rule: fires on a bad configuration, stays quiet on a good one."""
from conftest import codes, lint

SERVICE = """
services:
  llm:
    image: {image}
    ports: [{ports}]
    volumes: [{volumes}]
    command: [{command}]
"""


def compose(image="vllm/vllm-openai:v0.11.0", ports='"5000:8000"', volumes="", command='"--model", "m"'):
    return SERVICE.format(image=image, ports=ports, volumes=volumes, command=command)


def only(result, code):
    return [f for f in result.findings if f.code == code]


# VLL101 unset-variable
def test_unset_variable_fires(tmp_path):
    result = lint(tmp_path, {".env": "MODEL_NAME=Qwen/Qwen3-32B-AWQ\n",
                             "compose.yaml": compose(command='"--model=${MODEL_NAME_MEDIUM}"')})
    [f] = only(result, "VLL101")
    assert "MODEL_NAME_MEDIUM" in f.message and f.severity == "warning"


def test_required_variable_is_an_error(tmp_path):
    [f] = only(lint(tmp_path, {".env": "OTHER=1\n", "compose.yaml": compose(command='"--model=${M:?set M}"')}), "VLL101")
    assert f.severity == "error" and "set M" in f.message


def test_without_any_env_file_the_variables_are_reported_once_per_file(tmp_path):
    files = {"compose.yaml": compose(command='"--model=${M}", "--max-model-len=${LEN}", "--port=${P:?set P}"'),
             ".env.example": "M=org/model\nLEN=8192\nP=8000\n"}
    [f] = only(lint(tmp_path, files), "VLL101")  # before: one finding per variable, compose-style
    assert f.severity == "warning"  # P is required: compose refuses to start without it
    assert "3 variables are not set and no .env was read" in f.message and "M, LEN, P" in f.message
    assert "copy .env.example to .env" in f.hint
    [g] = only(lint(tmp_path / "b", {"compose.yaml": compose(command='"--model=${M}"')}), "VLL101")
    assert g.severity == "info"


def test_unset_variable_quiet_with_value_or_default(tmp_path):
    assert only(lint(tmp_path, {".env": "M=x\n", "compose.yaml": compose(command='"--model=${M}", "--x=${N:-1}", "--y=$$HOME"')}), "VLL101") == []


# VLL102 unpinned-image
def test_unpinned_image_fires_on_latest_and_no_tag(tmp_path):
    assert len(only(lint(tmp_path, {"a/compose.yaml": compose(image="vllm/vllm-openai:latest"),
                                    "b/compose.yaml": compose(image="vllm/vllm-openai")}), "VLL102")) == 2


def test_unpinned_image_quiet_on_release_and_digest(tmp_path):
    result = lint(tmp_path, {"a/compose.yaml": compose(image="vllm/vllm-openai:v0.11.0-cu128"),
                             "b/compose.yaml": compose(image="vllm/vllm-openai@sha256:" + "a" * 64)})
    assert only(result, "VLL102") == []


# VLL103 port-mismatch
def test_port_mismatch_fires_on_ports_and_healthcheck(tmp_path):
    text = compose(command='"--model", "m", "--port=8092"') + '    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]\n'
    found = only(lint(tmp_path, {"compose.yaml": text}), "VLL103")
    assert len(found) == 2
    assert found[1].span.line == 8 and found[1].span.column == 53  # the port inside the URL


def test_port_mismatch_quiet_when_consistent(tmp_path):
    text = compose(ports='"5000:8092"', command='"--model", "m", "--port=8092"') + '    healthcheck:\n      test: curl -f http://localhost:8092/health\n'
    assert only(lint(tmp_path, {"compose.yaml": text}), "VLL103") == []


# VLL104 duplicate-host-port
def test_duplicate_host_port_fires_in_one_project(tmp_path):
    from vllm_lint.config import Settings  # files beside each other are alternatives unless projects: joins them

    result = lint(tmp_path, {"p/a.yml": compose(), "p/b.yml": compose().replace("llm:", "other:")},
                  settings=Settings(root=tmp_path, offline=True, projects=[["p/*.yml"]]))
    [f] = only(result, "VLL104")
    assert "5000" in f.message


def test_duplicate_host_port_quiet_across_folders_and_ips(tmp_path):
    result = lint(tmp_path, {"p/a.yml": compose(), "q/b.yml": compose(),
                             "r/c.yml": compose(ports='"127.0.0.1:5000:8000"'), "r/d.yml": compose(ports='"10.0.0.1:5000:8000"').replace("llm:", "x:")})
    assert only(result, "VLL104") == []


# VLL105 unmounted-file-argument
def test_unmounted_file_argument_fires(tmp_path):
    [f] = only(lint(tmp_path, {"compose.yaml": compose(volumes='"~/.cache/huggingface:/root/.cache/huggingface"',
                                                       command='"--model", "m", "--chat-template=/app/chat-templates/qwen.jinja"')}), "VLL105")
    assert "/app/chat-templates/qwen.jinja" in f.message and f.span.column == 48


def test_mounted_but_missing_in_the_repository(tmp_path):
    [f] = only(lint(tmp_path, {"compose.yaml": compose(volumes='"./templates:/t:ro"', command='"--model", "m", "--chat-template", "/t/x.jinja"')}), "VLL105")
    assert "does not exist" in f.message


def test_unmounted_file_argument_quiet(tmp_path):
    result = lint(tmp_path, {"templates/x.jinja": "{{ messages }}",
                             "compose.yaml": compose(volumes='"./templates:/t:ro"',
                                                     command='"--model", "m", "--chat-template", "/t/x.jinja", "--tool-parser-plugin", "/vllm-workspace/p.py"')})
    assert only(result, "VLL105") == []


# VLL106 literal-api-key
def test_literal_api_key_fires_in_command_env_and_dotenv(tmp_path):
    result = lint(tmp_path, {
        "a/compose.yaml": compose(command='"--model", "m", "--api-key", "sk-9f8e7d6c5b4a39281706"'),
        "b/.env": "KEY=Y7PSM158SR952HCAARSLQ344RRPJTDI3\n",
        "b/compose.yaml": compose(command='"--model", "m", "--api-key", "${KEY}"'),
        "c/compose.yaml": compose() + "    environment: [VLLM_API_KEY=abcdef0123456789abcdef]\n"})
    found = only(result, "VLL106")
    assert sorted(f.span.path for f in found) == ["a/compose.yaml", "b/.env", "c/compose.yaml"]
    for f in found:
        assert "sk-9f8e7d6c5b4a39281706" not in f.message and "Y7PSM" not in f.message and "abcdef0123" not in f.message


def test_literal_api_key_quiet_on_placeholders_and_passthrough(tmp_path):
    result = lint(tmp_path, {
        "a/.env": "KEY=YOUR_API_KEY_MICRO\n",
        "a/compose.yaml": compose(command='"--model", "m", "--api-key", "${KEY}"'),
        "b/compose.yaml": compose() + "    environment: [VLLM_API_KEY]\n"})
    assert only(result, "VLL106") == []


# VLL001 invalid-file is exercised by test_bad_input.py
