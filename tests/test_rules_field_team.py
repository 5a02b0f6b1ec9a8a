"""Rules from a real team's deployment history (issue 20): a boot killed by its own healthcheck (VLL113), a model
folder or cache bound as an empty folder (VLL114), modules vLLM imports from a mount (VLL105), other GPU tenants of
the project (VLL404) and --enforce-eager outside a debugging profile (VLL115). Each: fires on the bad launch, quiet on
the good variants."""
import json

import pytest
import yaml
from conftest import REPO, lint


def gpus(ids):
    quoted = ", ".join(f'"{i}"' for i in ids)
    return f"    deploy: {{resources: {{reservations: {{devices: [{{driver: nvidia, device_ids: [{quoted}], capabilities: [gpu]}}]}}}}}}\n"


def findings(tmp_path, files, code, **settings):
    from vllm_lint.config import Settings

    chosen = Settings(root=tmp_path, offline=True, **settings) if settings else None
    return [f for f in lint(tmp_path, files, select=[code], settings=chosen).findings if f.code == code]


# -- VLL113 healthcheck-before-ready --------------------------------------------------------------------------------

def compose_health(health, consumer="    depends_on: {llm: {condition: service_healthy}}\n", extra="",
                   command='["--model", "Qwen/Qwen3-32B"]'):
    return ("services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
            f"    command: {command}\n{extra}"
            "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8000/health\"]\n"
            f"{health}"
            f"  app:\n    image: example/app:1\n{consumer}")


def test_knowledge_cold_start_validates():
    import jsonschema

    data = yaml.safe_load((REPO / "knowledge/vllm/cold_start.yaml").read_text())
    jsonschema.validate(data, json.loads((REPO / "knowledge/schemas/vllm_cold_start.schema.json").read_text()))
    logs = REPO / "tests/data/gpu-logs/h200-vllm-0.20.2"
    for case in data["cases"]:  # every figure is read off its log
        text = (logs / case["log"]).read_text()
        assert f'"startup_s": {case["startup_s"]}' in text, case["log"]
        assert f"Resolved architecture: {case['architecture']}" in text, case["log"]
        if "compile_s" in case:
            assert f"torch.compile took {case['compile_s']:.2f} s" in text, case["log"]


def test_healthcheck_shorter_than_cold_start_with_a_dependent(tmp_path):
    [f] = findings(tmp_path, {"compose.yaml": compose_health("      interval: 10s\n      retries: 3\n")}, "VLL113")
    assert "gives up after 30 s" in f.message and "service app" in f.message
    assert "GB of weights" in f.message and "2GB/s" in f.message and "vLLM 0.20.2" in f.message
    assert "start_period: " in f.hint and f.span.line == 7  # the interval: no start_period written


def test_healthcheck_start_period_counts_and_the_disk_throughput_is_an_option(tmp_path):
    # 60 s + 3 × 30 s = 150 s covers the fastest measured start (68 s) plus 65 GB at 2 GB/s, not at 100 MB/s
    files = {"compose.yaml": compose_health("      start_period: 60s\n")}
    assert findings(tmp_path, files, "VLL113") == []
    [f] = findings(tmp_path, files, "VLL113", rules={"VLL113": {"disk-throughput": "100MB/s"}})
    assert "100MB/s" in f.message and f.span.line == 7


@pytest.mark.parametrize("health, consumer", [
    ("      interval: 10s\n      retries: 3\n      start_period: 10m\n", None),  # a start period that covers it
    ("      interval: 10s\n      retries: 3\n", "    depends_on: [llm]\n"),  # nothing waits for healthy
    ("      interval: 10s\n      retries: 3\n      disable: true\n", None),
    ("      interval: ${HC_INTERVAL}\n      retries: 3\n", None),  # unknown: not guessed
])
def test_healthcheck_quiet(tmp_path, health, consumer):
    text = compose_health(health) if consumer is None else compose_health(health, consumer)
    assert findings(tmp_path, {"compose.yaml": text}, "VLL113") == []


def test_healthcheck_autoheal_acts_on_it(tmp_path):
    text = compose_health("      interval: 5s\n      retries: 2\n", consumer="", extra="    labels: {autoheal: \"true\"}\n")
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL113")
    assert "autoheal" in f.message


def test_healthcheck_eager_start_is_shorter(tmp_path):
    # 100 s: less than a compiled first start of a 65 GB model, more than an eager one
    health = "      start_period: 40s\n      interval: 20s\n      retries: 3\n"
    assert findings(tmp_path, {"compose.yaml": compose_health(health)}, "VLL113")
    eager = compose_health(health, command='["--model", "Qwen/Qwen3-32B", "--enforce-eager"]')
    assert findings(tmp_path, {"compose.yaml": eager}, "VLL113") == []


K8S = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: vllm}}
spec:
  template:
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.11.0
        args: ["--model", "Qwen/Qwen3-8B"]
{probes}"""


def test_liveness_probe_restarts_a_starting_pod(tmp_path):
    probes = ("        livenessProbe:\n          httpGet: {path: /health, port: 8000}\n"
              "          initialDelaySeconds: 30\n          periodSeconds: 10\n")
    [f] = findings(tmp_path, {"k.yaml": K8S.format(probes=probes)}, "VLL113")
    assert "livenessProbe gives up after 60 s" in f.message and "CrashLoopBackOff" in f.message
    assert "startupProbe" in f.hint


def test_startup_probe_too_short(tmp_path):
    probes = ("        startupProbe:\n          httpGet: {path: /health, port: 8000}\n          failureThreshold: 3\n"
              "        livenessProbe:\n          httpGet: {path: /health, port: 8000}\n          initialDelaySeconds: 900\n")
    [f] = findings(tmp_path, {"k.yaml": K8S.format(probes=probes)}, "VLL113")
    assert "startupProbe gives up after 30 s" in f.message and "raise the startupProbe's failureThreshold" in f.hint


@pytest.mark.parametrize("probes", [
    # a startup probe that covers the start: the liveness probe only begins after it
    ("        startupProbe:\n          httpGet: {path: /health, port: 8000}\n          failureThreshold: 60\n"
     "          periodSeconds: 10\n        livenessProbe:\n          httpGet: {path: /health, port: 8000}\n"),
    # a readiness probe restarts nothing
    "        readinessProbe:\n          httpGet: {path: /health, port: 8000}\n          periodSeconds: 5\n",
    "        livenessProbe:\n          httpGet: {path: /health, port: 8000}\n          initialDelaySeconds: 600\n",
])
def test_probes_quiet(tmp_path, probes):
    assert findings(tmp_path, {"k.yaml": K8S.format(probes=probes)}, "VLL113") == []


# -- VLL114 model-bind-created-empty ---------------------------------------------------------------------------------

def compose_bind(volume, env="", command='["--model", "Qwen/Qwen3-8B"]'):
    return ("services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
            f"    command: {command}\n{env}    volumes:\n      - {volume}\n")


def test_offline_cache_bound_from_a_missing_folder(tmp_path):
    text = compose_bind("./hf-cache:/root/.cache/huggingface", env="    environment: [HF_HUB_OFFLINE=1]\n")
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL114")
    assert "./hf-cache does not exist in the project" in f.message and "HF_HUB_OFFLINE" in f.message
    assert "create_host_path: false" in f.hint and f.span.line == 7


def test_model_folder_bound_from_a_missing_folder(tmp_path):
    text = compose_bind("./models:/models:ro", command='["--model", "/models/qwen3-8b"]')
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL114")
    assert "mount it at /models, the launch's model folder (/models/qwen3-8b)" in f.message


def test_model_folder_outside_the_project_is_named_by_where_it_resolves(tmp_path):
    from vllm_lint.config import Settings

    text = compose_bind("../../weights/qwen:/models/qwen", command='["--model", "/models/qwen"]')
    root = tmp_path / "repo"
    result = lint(root, {"deploy/compose.yaml": text}, select=["VLL114"], settings=Settings(root=root, offline=True))
    [f] = [f for f in result.findings if f.code == "VLL114"]
    assert "(it resolves to ../weights/qwen (outside the project))" in f.message


def test_cache_from_a_variable_default(tmp_path):
    text = compose_bind('"${HF_CACHE_DIR:-./hf}:/root/.cache/huggingface"')
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL114")
    assert "HF_CACHE_DIR is not set" in f.message


@pytest.mark.parametrize("volume, env, extra", [
    ("./hf-cache:/root/.cache/huggingface", "    environment: [HF_HUB_OFFLINE=1]\n", {"hf-cache/.keep": ""}),  # exists
    ("./hf-cache:/root/.cache/huggingface", "", {}),  # online: the first start fills it, as intended
    ("~/.cache/huggingface:/root/.cache/huggingface", "    environment: [HF_HUB_OFFLINE=1]\n", {}),  # machine path
    ("{type: bind, source: ./hf-cache, target: /root/.cache/huggingface, bind: {create_host_path: false}}",
     "    environment: [HF_HUB_OFFLINE=1]\n", {}),  # the long syntax: compose refuses a missing folder
    ("./logs:/var/log/vllm", "    environment: [HF_HUB_OFFLINE=1]\n", {}),  # not the model
])
def test_model_bind_quiet(tmp_path, volume, env, extra):
    assert findings(tmp_path, {"compose.yaml": compose_bind(volume, env), **extra}, "VLL114") == []


QUANTIZE = """services:
  quantize:
    build: ./quantize
    command: ["--model", "acme/base-9b", "--output", "/workspace/output"]
    volumes: ["./models/base-9b-fp4:/workspace/output"]
"""


def test_model_folder_written_by_a_job_of_the_project_is_not_reported(tmp_path):
    """A quantization (or fine-tune, download) service beside the launch writes the folder before vLLM reads it."""
    serve = compose_bind("./models/base-9b-fp4:/models/fp4:ro", command='["--model", "/models/fp4"]')
    assert findings(tmp_path / "a", {"compose.yaml": serve, "compose.quantize.yaml": QUANTIZE}, "VLL114") == []
    above = QUANTIZE.replace("./models/base-9b-fp4:/workspace/output", "./models:/out")  # a folder above it
    assert findings(tmp_path / "b", {"compose.yaml": serve, "compose.quantize.yaml": above}, "VLL114") == []
    read_only = QUANTIZE.replace(":/workspace/output", ":/workspace/output:ro")  # reads it: no writer
    [f] = findings(tmp_path / "c", {"compose.yaml": serve, "compose.quantize.yaml": read_only}, "VLL114")
    assert "the launch's model folder" in f.message
    other = QUANTIZE.replace("./models/base-9b-fp4", "./models/other")  # writes another folder
    assert len(findings(tmp_path / "d", {"compose.yaml": serve, "compose.quantize.yaml": other}, "VLL114")) == 1
    assert len(findings(tmp_path / "e", {"compose.yaml": serve}, "VLL114")) == 1
    own = serve.replace(":/models/fp4:ro", ":/models/fp4").replace("vllm/vllm-openai:v0.11.0", "python:3.12").replace(
        '["--model", "/models/fp4"]', '["vllm", "serve", "/models/fp4"]')
    assert len(findings(tmp_path / "f", {"compose.yaml": own}, "VLL114")) == 1  # its own bind writes nothing there


def test_model_folder_written_by_a_training_job_above_it_is_not_reported(tmp_path):
    """vllm/compose.yaml serves ../train/outputs/merged, which train/compose.yaml's fine-tune writes."""
    serve = compose_bind("../train/outputs/merged:/models", command='["--model", "/models"]')
    train = ("services:\n  trainer:\n    image: acme/unsloth:1\n    command: python3 /scripts/train.py\n"
             "    volumes: [\"./scripts:/scripts\", \"./outputs:/outputs\"]\n")
    files = {"vllm/compose.yaml": serve, "train/compose.yaml": train, "train/scripts/train.py": "print()\n"}
    assert findings(tmp_path / "a", files, "VLL114") == []
    files["train/compose.yaml"] = train.replace("./outputs:/outputs", "./outputs:/outputs:ro")
    [f] = findings(tmp_path / "b", files, "VLL114")
    assert "train/outputs/merged" in f.message


def test_long_syntax_records_create_host_path(tmp_path):
    from vllm_lint.config import Settings
    from vllm_lint.engine import load_project

    (tmp_path / "compose.yaml").write_text(compose_bind(
        "{type: bind, source: ./hf, target: /root/.cache/huggingface, bind: {create_host_path: false}}"))
    [d] = load_project([tmp_path], Settings(root=tmp_path, offline=True), cwd=tmp_path, resolve_models=False).deployments
    [v] = d.volumes
    assert v.create_host_path is False and not v.short and v.kind == "bind"


# -- VLL105 unmounted-file-argument: modules and plugins -----------------------------------------------------------

def compose_mw(volumes, env, args='"--middleware", "mw.auth.TokenCheck"'):
    return ("services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
            f'    command: ["--model", "Qwen/Qwen3-8B", {args}]\n'
            f"    environment: [{env}]\n    volumes: [{volumes}]\n")


def test_middleware_module_of_the_project_not_on_a_mounted_pythonpath(tmp_path):
    files = {"plugins/mw/__init__.py": "", "plugins/mw/auth.py": "class TokenCheck: ...\n",
             "compose.yaml": compose_mw('"./plugins:/opt/plugins:ro"', "PYTHONPATH=/app/plugins")}
    [f] = findings(tmp_path, files, "VLL105")
    assert "imports the module mw" in f.message and "plugins/mw" in f.message and "/app/plugins: no volume" in f.message


@pytest.mark.parametrize("env, extra", [
    ("PYTHONPATH=/app/plugins", {}),  # mounted at the PYTHONPATH entry
    ("PYTHONPATH=/srv:/app/plugins", {}),
])
def test_middleware_quiet_when_mounted(tmp_path, env, extra):
    files = {"plugins/mw/__init__.py": "", "plugins/mw/auth.py": "class TokenCheck: ...\n",
             "compose.yaml": compose_mw('"./plugins:/app/plugins:ro"', env), **extra}
    assert findings(tmp_path, files, "VLL105") == []


def test_middleware_of_an_installed_package_is_not_checked(tmp_path):
    files = {"compose.yaml": compose_mw('"./x:/x"', "A=1", args='"--middleware", "prometheus_fastapi_instrumentator.Instr"')}
    assert findings(tmp_path, files, "VLL105") == []


def test_reasoning_parser_plugin_must_be_mounted(tmp_path):
    files = {"compose.yaml": compose_mw('"./x:/x"', "A=1", args='"--reasoning-parser-plugin", "/plugins/my_reasoner.py"')}
    [f] = findings(tmp_path, files, "VLL105")
    assert "--reasoning-parser-plugin /plugins/my_reasoner.py: no volume" in f.message


def test_bind_climbing_out_of_the_project_is_named_by_where_it_resolves(tmp_path):
    (tmp_path / "project").mkdir()
    text = ("services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
            '    command: ["--model", "Qwen/Qwen3-8B", "--chat-template", "/t/chat.jinja"]\n'
            '    volumes: ["./../../templates:/t:ro"]\n')
    from vllm_lint.config import Settings

    result = lint(tmp_path / "project", {"deploy/compose.yaml": text}, select=["VLL105"],
                  settings=Settings(root=tmp_path / "project", offline=True))
    [f] = [f for f in result.findings if f.code == "VLL105"]
    assert "../templates/chat.jinja (outside the project)" in f.message and "does not exist" in f.message


# -- VLL404 gpu-oversubscription: other tenants --------------------------------------------------------------------

def tenants(util, tenant_extra="", tenant_ids=("0",)):
    return ("services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
            f'    command: ["--model", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "{util}"]\n' + gpus(["0"]) +
            "  tts:\n    image: example/tts:1\n" + tenant_extra + gpus(list(tenant_ids)))


def test_tts_on_the_same_gpu_counts_with_the_default(tmp_path):
    [f] = findings(tmp_path, {"compose.yaml": tenants(0.9)}, "VLL404")
    assert "tts (not vLLM) 0.15 assumed" in f.message and "1.05" in f.message and f.severity == "warning"


def test_tenant_in_the_same_profile_counts(tmp_path):
    text = tenants(0.9, "    profiles: [voice]\n").replace("  llm:\n", "  llm:\n    profiles: [voice]\n")
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL404")
    assert "1 vLLM launch and 1 other service" in f.message


def test_tts_declares_its_memory(tmp_path):
    [f] = findings(tmp_path, {"compose.yaml": tenants(0.7, '    labels: {"vllm-lint.gpu-memory": "0.4"}\n')}, "VLL404")
    assert "tts (not vLLM) 0.4 declared" in f.message and f.severity == "error"


@pytest.mark.parametrize("util, extra, ids", [
    (0.8, "", ("0",)),  # 0.8 + 0.15 fits
    (0.9, "", ("1",)),  # another GPU
    (0.9, '    labels: ["vllm-lint.gpu-memory=0.05"]\n', ("0",)),  # declared small
    (0.9, "    profiles: [tts]\n", ("0",)),  # in a profile the vLLM launch is not in: an alternative
])
def test_tenants_quiet(tmp_path, util, extra, ids):
    assert findings(tmp_path, {"compose.yaml": tenants(util, extra, ids)}, "VLL404") == []


def test_tenant_size_needs_the_gpu(tmp_path):
    text = tenants(0.8, '    labels: {"vllm-lint.gpu-memory": "8GiB"}\n')
    assert findings(tmp_path, {"compose.yaml": text}, "VLL404") == []  # no GPU known: skipped, not guessed
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL404", hardware="l4")
    assert "declared (8GiB)" in f.message


# -- VLL115 slow-path-in-production -------------------------------------------------------------------------------------

def eager(command='["--model", "Qwen/Qwen3-8B", "--enforce-eager"]', name="llm", extra="", image="vllm/vllm-openai:v0.11.0"):
    return f"services:\n  {name}:\n    image: {image}\n{extra}    command: {command}\n"


def test_enforce_eager_in_production(tmp_path):
    [f] = findings(tmp_path, {"compose.yaml": eager()}, "VLL115")
    assert 'vLLM 0.11.0 logs "Cudagraph is disabled under eager mode"' in f.message and f.span.line == 4
    assert "maximal performance" in f.message and "vllm/config/model.py:179 (0.11.0)" in f.message
    new = {"compose.yaml": eager(image="vllm/vllm-openai:v0.20.2")}
    [f] = findings(tmp_path, new, "VLL115")
    assert '"Enforce eager set, disabling torch.compile and CUDAGraphs.' in f.message and ":897 (0.20.2)" in f.message


def test_knowledge_slow_paths_validates():
    import jsonschema

    data = yaml.safe_load((REPO / "knowledge/vllm/slow_paths.yaml").read_text())
    jsonschema.validate(data, json.loads((REPO / "knowledge/schemas/vllm_slow_paths.schema.json").read_text()))


@pytest.mark.parametrize("image, args, hit", [
    ("v0.9.2", ["--preemption-mode", "swap"], "--preemption-mode"),
    ("v0.10.0", ["--num-scheduler-steps", "8"], "--num-scheduler-steps"),
    ("v0.8.5.post1", ["--disable-async-output-proc"], "--disable-async-output-proc"),
    ("v0.10.2", ["--scheduler-delay-factor", "0.5"], "--scheduler-delay-factor"),
    ("v0.11.0", ["--scheduler-delay-factor", "0.5"], None),  # no V0 to fall back to
    ("v0.10.0", ["--num-scheduler-steps", "1"], None),  # the default
    ("v0.9.2", ["--scheduler-delay-factor", "0"], None),
])
def test_options_that_fall_back_to_v0(tmp_path, image, args, hit):
    command = json.dumps(["--model", "Qwen/Qwen3-8B", *args])
    found = findings(tmp_path, {"compose.yaml": eager(command=command, image=f"vllm/vllm-openai:{image}")}, "VLL115")
    if hit is None:
        assert found == []
    else:
        [f] = found
        assert f"{hit} is not supported by the V1 Engine. Falling back to V0." in f.message and image[1:] in f.message


def test_v0_fallback_quiet_when_vllm_use_v1_is_set(tmp_path):
    command = json.dumps(["--model", "Qwen/Qwen3-8B", "--preemption-mode", "swap"])
    text = eager(command=command, image="vllm/vllm-openai:v0.9.2", extra="    environment: [VLLM_USE_V1=0]\n")
    assert findings(tmp_path, {"compose.yaml": text}, "VLL115") == []


@pytest.mark.parametrize("files", [
    {"compose.yaml": eager(extra="    profiles: [debug]\n")},
    {"compose.yaml": eager(name="llm-dev")},
    {"compose.debug.yaml": eager()},
    {"compose.yaml": eager(command='["--model", "Qwen/Qwen3-8B"]')},
    {"compose.yaml": eager(command='["--model", "Qwen/Qwen3-8B", "--no-enforce-eager"]')},
    {"compose.yaml": eager(image="vllm/vllm-tpu:v0.11.0")},
    {"compose.yaml": "services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    command:\n"
                     "      - --model\n      - Qwen/Qwen3-8B\n      # CUDA graph capture runs out of memory on the 4090\n"
                     "      - --enforce-eager\n"},
    {"compose.yaml": eager(command='["--model", "mixedbread-ai/mxbai-embed-large-v1", "--enforce-eager"]')},
    {"compose.yaml": eager(command='["--model", "Qwen/Qwen3-8B", "--runner", "pooling", "--enforce-eager"]')},
])
def test_enforce_eager_quiet(tmp_path, files):
    assert findings(tmp_path, files, "VLL115") == []


def test_healthcheck_uses_the_architectures_own_measurement(tmp_path):
    # 60 s + 3 × 30 s = 150 s: more than the fastest start of any model (68 s), less than gpt-oss-20b's own (183 s)
    text = compose_health("      start_period: 60s\n", command='["--model", "openai/gpt-oss-20b"]')
    [f] = findings(tmp_path, {"compose.yaml": text}, "VLL113")
    assert "GptOssForCausalLM, 1 run" in f.message and "expected to take about 19" in f.message
    llama = compose_health("      start_period: 60s\n", command='["--model", "TheBloke/Llama-2-7B-AWQ"]')
    assert findings(tmp_path, {"compose.yaml": llama}, "VLL113") == []


def test_enforce_eager_reason_above_the_key(tmp_path):
    text = ("services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n{comment}    command:\n"
            "      - --enforce-eager\n      - --model\n      - Qwen/Qwen3-8B\n")
    assert findings(tmp_path, {"compose.yaml": text.format(comment="    # CUDA graphs are unstable on this card\n")},
                    "VLL115") == []
    assert len(findings(tmp_path, {"compose.yaml": text.format(comment="    # the chat model\n")}, "VLL115")) == 1


def test_enforce_eager_release_basis(tmp_path):
    [f] = findings(tmp_path, {"compose.yaml": eager(image="vllm/vllm-openai:latest")}, "VLL115")
    assert "(assumed: the image pins no release)" in f.message
    # a release older than every release read: not judged
    assert findings(tmp_path, {"compose.yaml": eager(image="vllm/vllm-openai:v0.5.5")}, "VLL115") == []
