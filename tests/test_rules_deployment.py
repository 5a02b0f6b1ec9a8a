"""Rules over one launch that need no release or model knowledge: bad fires, good stays quiet."""
import pytest
from conftest import lint


def service(command, extra="", image="vllm/vllm-openai:v0.11.0"):
    if not command.startswith("["):
        command = ">\n      " + command  # a folded string command
    return f"services:\n  llm:\n    image: {image}\n{extra}    command: {command}\n"


def gpus(ids):
    quoted = ", ".join(f'"{i}"' for i in ids)
    return f"    deploy: {{resources: {{reservations: {{devices: [{{driver: nvidia, device_ids: [{quoted}], capabilities: [gpu]}}]}}}}}}\n"


def run(tmp_path, text, code, **files):
    result = lint(tmp_path, {"compose.yaml": text, **files}, select=[code])
    return result.findings


# VLL107 tensor-parallel-gpus
def test_tp_larger_than_gpus(tmp_path):
    [f] = run(tmp_path, service('["--model", "m", "--tensor-parallel-size", "2"]', gpus(["2"]) + "    ipc: host\n"), "VLL107")
    assert f.severity == "error" and "needs 2 GPUs" in f.message


def test_tp_smaller_than_gpus(tmp_path):
    [f] = run(tmp_path, service('["--model", "m"]', gpus(["0", "1"])), "VLL107")
    assert f.severity == "warning" and "idle" in f.message


def test_tp_matches_gpus(tmp_path):
    assert run(tmp_path, service('["--model", "m", "--tensor-parallel-size", "2"]', gpus(["0", "1"])), "VLL107") == []
    assert run(tmp_path, service('["--model", "m", "--tensor-parallel-size", "2"]',
                                 "    runtime: nvidia\n    environment:\n      - NVIDIA_VISIBLE_DEVICES=0,1\n"), "VLL107") == []


# VLL108 cuda-visible-devices-index
def test_cuda_visible_devices_host_index_in_container(tmp_path):
    [f] = run(tmp_path, service('["--model", "m"]', gpus(["2"]) + "    environment: [CUDA_VISIBLE_DEVICES=2]\n"), "VLL108")
    assert "device 2 does not exist" in f.message


def test_cuda_visible_devices_container_index(tmp_path):
    assert run(tmp_path, service('["--model", "m"]', gpus(["2", "3"]) + "    environment: [CUDA_VISIBLE_DEVICES=1]\n"), "VLL108") == []


# VLL109 shared-memory
def test_tp_without_shared_memory(tmp_path):
    [f] = run(tmp_path, service('["--model", "m", "--tensor-parallel-size", "2"]', gpus(["0", "1"])), "VLL109")
    assert "64 MiB" in f.message


def test_tp_with_small_shm(tmp_path):
    [f] = run(tmp_path, service('["--model", "m", "--tensor-parallel-size", "2"]', "    shm_size: 256m\n"), "VLL109")
    assert "256m" in f.message


@pytest.mark.parametrize("extra", ["    ipc: host\n", "    shm_size: 4g\n", ""])
def test_shared_memory_quiet(tmp_path, extra):
    tp = "2" if extra else "1"
    assert run(tmp_path, service(f'["--model", "m", "--tensor-parallel-size", "{tp}"]', extra), "VLL109") == []


# VLL110 hf-token-variable
def test_hugging_face_hub_token(tmp_path):
    [f] = run(tmp_path, service('["--model", "m"]', "    environment: ['HUGGING_FACE_HUB_TOKEN=${T:-x}']\n"), "VLL110")
    assert f.severity == "info"


def test_hf_token(tmp_path):
    assert run(tmp_path, service('["--model", "m"]', "    environment: [HF_TOKEN]\n"), "VLL110") == []


# VLL111 allow-long-max-model-len
def test_allow_long_max_model_len(tmp_path):
    assert len(run(tmp_path, service('["--model", "m"]', "    environment: {VLLM_ALLOW_LONG_MAX_MODEL_LEN: 1}\n"), "VLL111")) == 1


def test_allow_long_max_model_len_unset(tmp_path):
    assert run(tmp_path, service('["--model", "m"]', "    environment: {VLLM_ALLOW_LONG_MAX_MODEL_LEN: 0}\n"), "VLL111") == []


# VLL112 api-key-on-command-line
def test_api_key_argument(tmp_path):
    [f] = run(tmp_path, service('--model m --api-key ${KEY}'), "VLL112", **{".env": "KEY=YOUR_KEY\n"})
    assert (f.span.line, f.span.column) == (5, 17)


def test_api_key_from_environment(tmp_path):
    assert run(tmp_path, service('--model m', "    environment: [VLLM_API_KEY]\n"), "VLL112") == []


# VLL204 gpu-memory-utilization
@pytest.mark.parametrize("value, severity", [("0.95", "warning"), ("1.5", "error"), ("0", "error"), ("-0.1", "error")])
def test_gpu_memory_utilization_bad(tmp_path, value, severity):
    [f] = run(tmp_path, service(f'["--model", "m", "--gpu-memory-utilization", "{value}"]'), "VLL204")
    assert f.severity == severity


@pytest.mark.parametrize("value", ["0.9", "0.85", "1"])
def test_gpu_memory_utilization_good(tmp_path, value):
    found = run(tmp_path, service(f'["--model", "m", "--gpu-memory-utilization={value}"]'), "VLL204")
    assert [f.severity for f in found] == ([] if value != "1" else ["warning"])


# VLL205 video-inputs-enabled
def test_video_left_enabled(tmp_path):
    assert len(run(tmp_path, service("""--model m --limit-mm-per-prompt '{"image": 3}'"""), "VLL205")) == 1


@pytest.mark.parametrize("args", ["""--limit-mm-per-prompt '{"image":3,"video":0}'""",
                                  "--limit-mm-per-prompt.image 3 --limit-mm-per-prompt.video 0", "--model m"])
def test_video_disabled(tmp_path, args):
    assert run(tmp_path, service("--model m " + args), "VLL205") == []


# VLL206 skip-mm-profiling
def test_skip_mm_profiling(tmp_path):
    assert len(run(tmp_path, service("--model m --skip-mm-profiling"), "VLL206")) == 1


def test_no_skip_mm_profiling(tmp_path):
    assert run(tmp_path, service("--model m --no-skip-mm-profiling"), "VLL206") == []


# VLL207 rope-scaling-factor
YARN = '{"rope_type":"yarn","factor":%s,"original_max_position_embeddings":32768}'


@pytest.mark.parametrize("max_len, factor, words", [
    ("32768", "4.0", "fits the original context"),
    ("131072", "2.0", "covers 65536 tokens"),
    ("65536", "4.0", "×2 would do"),
])
def test_rope_scaling_bad(tmp_path, max_len, factor, words):
    [f] = run(tmp_path, service(f"""["--model", "m", "--max-model-len", "{max_len}", "--rope_scaling", '{YARN % factor}']"""), "VLL207")
    assert words in f.message


def test_rope_scaling_in_hf_overrides(tmp_path):
    overrides = '{"rope_scaling": %s}' % (YARN % "4.0")
    assert len(run(tmp_path, service(f"""["--model", "m", "--max-model-len", "16384", "--hf-overrides", '{overrides}']"""), "VLL207")) == 1


@pytest.mark.parametrize("max_len, factor", [("65536", "2.0"), ("131072", "4.0"), ("100000", "4.0")])
def test_rope_scaling_good(tmp_path, max_len, factor):
    assert run(tmp_path, service(f"""["--model", "m", "--max-model-len", "{max_len}", "--rope-scaling", '{YARN % factor}']"""), "VLL207") == []


# VLL404 gpu-oversubscription (project scope)
def _on_gpu(name, device, util):
    return (f"services:\n  {name}:\n    image: vllm/vllm-openai:v0.9.2\n"
            f'    command: ["--model", "m", "--gpu-memory-utilization", "{util}"]\n' + gpus([device]))


def _one_project(tmp_path):
    from vllm_lint.config import Settings  # files beside each other are alternatives unless projects: joins them

    return Settings(root=tmp_path, offline=True, projects=[["p/*.yml"]])


def test_two_services_on_one_gpu(tmp_path):
    result = lint(tmp_path, {"p/micro.yml": _on_gpu("micro", "2", "0.9"), "p/mini.yml": _on_gpu("mini", "2", "0.9")}, select=["VLL404"],
                  settings=_one_project(tmp_path))
    [f] = result.findings
    assert "1.80" in f.message and f.deployment == "mini"


def test_split_gpu_or_separate_gpus(tmp_path):
    result = lint(tmp_path, {"p/micro.yml": _on_gpu("micro", "2", "0.45"), "p/mini.yml": _on_gpu("mini", "2", "0.45"),
                             "q/a.yml": _on_gpu("a", "0", "0.9"), "q/b.yml": _on_gpu("b", "1", "0.9"),
                             "r/a.yml": _on_gpu("a", "0", "0.9"), "s/b.yml": _on_gpu("b", "0", "0.9")}, select=["VLL404"])
    assert result.findings == []


def test_many_launches_on_one_gpu_are_counted_not_listed(tmp_path):
    files = {f"p/s{i}.yml": _on_gpu(f"s{i}", "0", "0.3") for i in range(7)}
    result = lint(tmp_path, files, select=["VLL404"], settings=_one_project(tmp_path))
    assert len(result.findings) == 6  # every launch after the first
    message = result.findings[0].message
    assert "shared by 7 launches" in message and "+ 3 more = 2.10" in message
    assert message.count(" 0.3") == 4
