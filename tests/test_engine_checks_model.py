"""Engine checks that read the model's metadata as well as the options (``model:`` items of
``knowledge/vllm/engine_checks.yaml``), and the checks on a value's form: a --speculative-config that is not an
object, a --distributed-executor-backend that is no qualified name, a --show-hidden-metrics-for-version that is no
version. Each fires as VLL209 with vLLM's words and stays quiet on the variants vLLM accepts, on a model whose
metadata is not known, on values known only at run time and on releases outside its ranges."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import lint, vll209_messages

MODELS = Path(__file__).resolve().parents[1] / "knowledge" / "models"
DENSE = "meta-llama--Meta-Llama-3.1-8B"
MOE = "mistralai--Mixtral-8x7B-v0.1"
VISION = "Qwen--Qwen2.5-VL-7B-Instruct"
VC = "ValidationError: 1 validation error for VllmConfig\n  Value error, "
MC = "ValidationError: 1 validation error for ModelConfig\n  Value error, "
EP = VC + "Number of experts in the model must be greater than 0 when expert parallelism is enabled."


def _messages(root: Path, release: str, model: str, args: str) -> list[str]:
    """VLL209's messages on ``vllm serve ./model ARGS``, ./model holding the config.json of a bundled model."""
    folder = root / "model"
    folder.mkdir(parents=True, exist_ok=True)
    config = json.loads((MODELS / f"{model}.json").read_text())["config"]
    (folder / "config.json").write_text(json.dumps(config))
    result = lint(root, {"run.sh": f"pip install vllm=={release}\nvllm serve ./model {args}\n"}, select=["VLL209"])
    return [f.message for f in result.findings if f.code == "VLL209"]


@pytest.mark.parametrize("release,source", [
    ("0.9.2", "vllm/config.py:1019 in 0.9.2"), ("0.11.0", "vllm/config/model.py:1015 in 0.11.0"),
    ("0.20.2", "vllm/config/model.py:1075 in 0.20.2"), ("0.33.0", "vllm/config/model.py:1501 in 0.33.0")])
def test_expert_parallel_on_a_dense_model(tmp_path, release, source):
    [message] = _messages(tmp_path, release, DENSE, "--enable-expert-parallel")
    assert EP in message and source in message


def test_expert_parallel_quiet_on_moe_unknown_models_and_run_time_values(tmp_path):
    assert _messages(tmp_path, "0.20.2", MOE, "--enable-expert-parallel") == []
    assert _messages(tmp_path, "0.20.2", DENSE, "") == []
    assert vll209_messages(tmp_path / "unknown", "0.20.2", "--enable-expert-parallel") == []  # no metadata


@pytest.mark.parametrize("args,words", [
    ("--limit-mm-per-prompt '{\"image\": 2}'", "`limit_mm_per_prompt` is only supported for multimodal models."),
    ("--mm-processor-kwargs '{\"max_pixels\": 1000}'", "`mm_processor_kwargs` is only supported for multimodal models."),
    ("--disable-mm-preprocessor-cache", "`disable_mm_preprocessor_cache` is only supported for multimodal models.")])
def test_multimodal_options_on_a_text_model_stop_0_9(tmp_path, args, words):
    [message] = _messages(tmp_path, "0.9.2", DENSE, args)
    assert MC + words in message and "vllm/config.py:7" in message
    assert _messages(tmp_path, "0.9.2", VISION, args) == []  # a multimodal model takes them
    assert _messages(tmp_path, "0.11.0", DENSE, args) == []  # 0.11.0 ignores them (VLL308's warning)


def test_multimodal_options_report_the_first_one_vllm_checks(tmp_path):
    both = "--limit-mm-per-prompt '{\"image\": 2}' --disable-mm-preprocessor-cache"
    [message] = _messages(tmp_path, "0.9.2", DENSE, both)
    assert "`limit_mm_per_prompt`" in message


def test_default_mm_loras_on_a_text_model(tmp_path):
    args = "--enable-lora --default-mm-loras '{\"image\": \"/loras/vision\"}'"
    [message] = _messages(tmp_path, "0.20.2", DENSE, args)
    assert "ValueError: Default modality-specific LoRA(s) were provided for a non multimodal model" in message
    assert "vllm/engine/arg_utils.py:1950 in 0.20.2" in message
    assert _messages(tmp_path, "0.20.2", VISION, args) == []
    assert _messages(tmp_path, "0.9.2", DENSE, "--enable-lora") == []


@pytest.mark.parametrize("release,value,words", [
    ("0.9.2", "7", "AttributeError: 'int' object has no attribute 'get'"),
    ("0.11.0", "[1, 2]", "AttributeError: 'list' object has no attribute 'method'"),
    ("0.19.1", "16", "AttributeError: 'int' object has no attribute 'update'"),
    ("0.33.0", "-1", "AttributeError: 'int' object has no attribute 'items'")])
def test_speculative_config_that_is_not_an_object(tmp_path, release, value, words):
    [message] = vll209_messages(tmp_path, release, f"--speculative-config '{value}'")
    assert words in message


def test_speculative_config_object_or_run_time_is_not_judged_by_it(tmp_path):
    args = "--speculative-config '{\"method\": \"ngram\", \"num_speculative_tokens\": 3, \"prompt_lookup_max\": 4}'"
    assert vll209_messages(tmp_path, "0.20.2", args) == []
    assert vll209_messages(tmp_path, "0.20.2", "--speculative-config \"$SPEC\"") == []


@pytest.mark.parametrize("release", ["0.19.1", "0.20.2", "0.33.0"])
def test_distributed_executor_backend_without_a_qualified_name(tmp_path, release):
    [message] = vll209_messages(tmp_path, release, "--distributed-executor-backend x")
    assert VC + "not enough values to unpack (expected 2, got 1)" in message


def test_distributed_executor_backend_known_names_and_qualnames_are_quiet(tmp_path):
    for value in ("mp", "ray", "uni", "external_launcher", "my_pkg.executor.MyExecutor", "$BACKEND"):
        assert vll209_messages(tmp_path, "0.20.2", f"--distributed-executor-backend {value}") == [], value
    assert vll209_messages(tmp_path, "0.11.0", "--distributed-executor-backend x") == []  # not read alike


@pytest.mark.parametrize("release", ["0.19.1", "0.33.0"])
def test_show_hidden_metrics_for_version_must_be_a_version(tmp_path, release):
    [message] = vll209_messages(tmp_path, release, "--show-hidden-metrics-for-version x")
    assert message.endswith("ValidationError: 1 validation error for ObservabilityConfig\n"
                            "show_hidden_metrics_for_version\n  Value error, Invalid version: 'x' "
                            f"(vllm/config/observability.py:{115 if release == '0.19.1' else 147} in {release})")
    for good in ("0.7", "0.19.0", "$HIDDEN"):
        assert vll209_messages(tmp_path, release, f"--show-hidden-metrics-for-version {good}") == [], good
    assert vll209_messages(tmp_path, "0.11.0", "--show-hidden-metrics-for-version x") == []


@pytest.mark.parametrize("release,valid", [("0.20.2", "TRITON, FLASHINFER"), ("0.33.0", "TRITON, FLASHINFER, CPU")])
def test_mamba_backend_must_be_a_member(tmp_path, release, valid):
    [message] = vll209_messages(tmp_path, release, "--mamba-backend none")
    assert f"ValueError: Unknown Mamba SSU backend: 'NONE'. Valid options are: {valid}" in message
    for good in ("triton", "FLASHINFER", "$MAMBA"):
        assert vll209_messages(tmp_path, release, f"--mamba-backend {good}") == [], good
    assert "Unknown Mamba SSU backend" not in " ".join(vll209_messages(tmp_path, "0.11.0", "--mamba-backend none"))


def test_quantization_is_lower_cased_before_it_is_looked_up(tmp_path):
    # ModelConfig's before-validator lower-cases --quantization: AWQ is awq, and an unknown name is printed lower-case
    assert vll209_messages(tmp_path, "0.20.2", "--quantization AWQ") == []
    [message] = vll209_messages(tmp_path, "0.20.2", "--quantization AWQ-Marlin")
    assert "Unknown quantization method: awq-marlin. Must be one of" in message


@pytest.mark.parametrize("args", ["--numa-bind-nodes -1", "--numa-bind-nodes None", "--numa-bind-cpus auto",
                                  "--numa-bind-cpus 0-3 x"])
def test_numa_checks_leave_values_the_field_validators_refuse(tmp_path, args):
    # the field validators stop vLLM first, with their own words: not this check's
    assert not any("require numa_bind=True" in m for m in vll209_messages(tmp_path, "0.20.2", args))


@pytest.mark.parametrize("args", ["--numa-bind-nodes 0 1", "--numa-bind-cpus 0-3 4,6-7"])
def test_numa_checks_fire_on_valid_values_without_numa_bind(tmp_path, args):
    [message] = vll209_messages(tmp_path, "0.33.0", args)
    assert "numa_bind_nodes and numa_bind_cpus require numa_bind=True." in message
    assert vll209_messages(tmp_path, "0.33.0", args + " --numa-bind") == []


@pytest.mark.parametrize("release,args,words", [
    ("0.20.2", "--numa-bind-cpus auto", "numa_bind_cpus\n  Value error, numa_bind_cpus entries must use numactl CPU "
                                        "list syntax, for example '0-3' or '0,2,4-7'."),
    ("0.33.0", "--numa-bind-cpus 0-3 x", "numa_bind_cpus\n  Value error, numa_bind_cpus entries must use numactl"),
    ("0.33.0", "--numa-bind-nodes 0 -1", "numa_bind_nodes\n  Value error, numa_bind_nodes must contain non-negative "
                                         "integers.")])
def test_numa_field_validators(tmp_path, release, args, words):
    [message] = vll209_messages(tmp_path, release, args)
    assert "ValidationError: 1 validation error for ParallelConfig\n" + words in message


def test_numa_field_validators_quiet_on_valid_and_run_time_values(tmp_path):
    for args in ("--numa-bind --numa-bind-cpus 0-3 4,6-7", "--numa-bind --numa-bind-nodes 0 1",
                 "--numa-bind --numa-bind-cpus $CPUS"):
        assert vll209_messages(tmp_path, "0.33.0", args) == [], args
    assert not any("numactl" in m for m in vll209_messages(tmp_path, "0.19.1", "--numa-bind-cpus auto"))


def test_spec_flags_of_0_33_build_the_speculative_object(tmp_path):
    sc = "ValidationError: 1 validation error for SpeculativeConfig\n  Value error, "
    [method] = vll209_messages(tmp_path, "0.33.0", "--spec-method deepseek_mtp")
    assert sc + "num_speculative_tokens must be provided with speculative model" in method
    [tokens] = vll209_messages(tmp_path, "0.33.0", "--spec-tokens 16")
    assert sc + "num_speculative_tokens was provided but without speculative model." in tokens
    for args in ("--spec-method mtp --spec-tokens 2", "--spec-method ngram --spec-tokens 3",
                 "--spec-model org/draft --spec-tokens 4", "--spec-method $METHOD"):
        assert vll209_messages(tmp_path, "0.33.0", args) == [], args
    # an MTP model type in the object is taken as mtp too
    [legacy] = vll209_messages(tmp_path, "0.33.0", "--speculative-config '{\"method\": \"qwen3_next_mtp\"}'")
    assert "num_speculative_tokens must be provided" in legacy


def test_additional_config_not_an_object_on_0_33(tmp_path):
    [message] = vll209_messages(tmp_path, "0.33.0", "--additional-config 1k")
    assert "2 validation errors for VllmConfig\nadditional_config.dict[any,any]" in message
    assert vll209_messages(tmp_path, "0.33.0", "--additional-config '{\"a\": 1}'") == []
