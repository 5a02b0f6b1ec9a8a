"""Engine-configuration checks of the speculative, observability, model-config and scheduler family
(``knowledge/vllm/engine_checks.yaml``): each fires as VLL209 with vLLM's message and source line, and stays quiet on
the fixed form, on a value known only at run time and in a release outside its range."""
from __future__ import annotations

import pytest
from conftest import vll209_messages

from vllm_lint.vllm import conditions

_NST = ("num_speculative_tokens must be provided with speculative model unless the draft model config contains an "
        "n_predict parameter.")
_CPP = "NotImplementedError: Concurrent Partial Prefill is not supported. We recommend to remove Concurrent Partial"

#: (release, options, words of the one VLL209 finding)
FIRES = [
    ("0.20.2", "--speculative-config '{}'",
     f"ValidationError: 1 validation error for SpeculativeConfig\n  Value error, {_NST} "
     "(vllm/config/speculative.py:871 in 0.20.2)"),
    ("0.19.1", """--speculative-config '{"method": "ngram", "prompt_lookup_max": 4}'""",
     f"{_NST} (vllm/config/speculative.py:778 in 0.19.1)"),
    ("0.33.0", "--speculative-config={}", f"{_NST} (vllm/config/speculative.py:1947 in 0.33.0)"),
    ("0.11.0", """--speculative-config '{"method": "eagle"}'""", f"{_NST} (vllm/config/speculative.py:521 in 0.11.0)"),
    ("0.9.2", "--speculative-config '{}'", f"{_NST} (vllm/config.py:2863 in 0.9.2)"),
    ("0.11.0", """--speculative-config '{"method": "ngram", "num_speculative_tokens": 0}'""",
     "Value error, Expected num_speculative_tokens to be greater than zero (0). "
     "(vllm/config/speculative.py:527 in 0.11.0)"),
    ("0.20.2", """--speculative-config '{"num_speculative_tokens": 3}'""",
     "Value error, num_speculative_tokens was provided but without speculative model. "
     "(vllm/config/speculative.py:484 in 0.20.2)"),
    ("0.11.0", """--speculative-config '{"method": "eagle3", "num_speculative_tokens": 2}'""",
     "(vllm/config/speculative.py:237 in 0.11.0)"),
    ("0.33.0", """--speculative-config '{"method": "eagle", "num_speculative_tokens": 2}'""",
     "without speculative model. (vllm/config/speculative.py:1293 in 0.33.0)"),
    ("0.33.0", "--collect-detailed-traces model",
     "1 validation error for ObservabilityConfig\n  Value error, collect_detailed_traces requires "
     "`--otlp-traces-endpoint` to be set. (vllm/config/observability.py:219 in 0.33.0)"),
    ("0.19.1", "--collect-detailed-traces all", "(vllm/config/observability.py:149 in 0.19.1)"),
    ("0.20.2", "--collect-detailed-traces model worker", "requires `--otlp-traces-endpoint` to be set."),
    ("0.20.2", "--additional-config abc",
     "ValidationError: 2 validation errors for VllmConfig\nadditional_config.dict[any,any]\n  Input should be a "
     "valid dictionary [type=dict_type, input_value='abc', input_type=str]\nadditional_config.is-instance"
     "[SupportsHash]\n  Input should be an instance of SupportsHash [type=is_instance_of, input_value='abc', "
     "input_type=str] "
     "(vllm/config/vllm.py:330 in 0.20.2)"),
    ("0.9.2", "--additional-config 1.5", "(vllm/config.py:4350 in 0.9.2)"),
    ("0.11.0", """--rope-scaling '{"factor": 4}'""",
     "1 validation error for ModelConfig\n  Value error, rope_scaling should have a 'rope_type' key "
     "(vllm/transformers_utils/config.py:391 in 0.11.0)"),
    ("0.19.1", "--max-num-partial-prefills 2", f"{_CPP} Prefill from your config. (vllm/engine/arg_utils.py:2004 in 0.19.1)"),
    ("0.20.2", "--max-long-partial-prefills 2", f"{_CPP} Prefill from your config. (vllm/engine/arg_utils.py:2159 in 0.20.2)"),
    ("0.20.2", "--max-num-partial-prefills 4 --max-long-partial-prefills 2", _CPP),  # one finding for one error
]

#: (release, options): launches the engine configuration accepts, or that these checks do not judge
QUIET = [
    ("0.20.2", """--speculative-config '{"method": "ngram", "num_speculative_tokens": 4}'"""),
    ("0.20.2", """--speculative-config '{"model": "org/draft"}'"""),  # the draft's n_predict may set it
    ("0.20.2", """--speculative-config '{"method": "suffix"}'"""),  # suffix decoding sets it
    ("0.20.2", "--speculative-config \"$SPEC\""),  # known only at run time
    ("0.33.0", """--speculative-config '{"num-speculative-tokens": 3}'"""),  # "-" reads as "_"
    ("0.33.0", "--speculative-config '{}' --spec-tokens 3"),
    ("0.11.0", """--speculative-config '{"method": "draft_model"}'"""),  # the V1 oracle stops it first
    ("0.11.0", """--speculative-config '{"method": "ngram", "num_speculative_tokens": 2}'"""),
    ("0.19.1", """--speculative-config '{"method": "ngram", "num_speculative_tokens": 0}'"""),  # a field error (gt=0)
    ("0.20.2", """--speculative-config '{"method": "mtp", "num_speculative_tokens": 1}'"""),  # the target's MTP
    ("0.20.2", """--speculative-config '{"model": "org/eagle", "num_speculative_tokens": 3}'"""),
    ("0.9.2", """--speculative-config '{"num_speculative_tokens": 3}'"""),  # a deepseek_v3/mimo target is the draft
    ("0.33.0", "--collect-detailed-traces model --otlp-traces-endpoint http://collector:4317"),
    ("0.11.0", "--collect-detailed-traces all"),  # no such check before 0.19.1
    ("0.20.2", "--collect-detailed-traces $MODULES"),
    ("0.20.2", """--additional-config '{"a": 1}'"""),
    ("0.20.2", "--additional-config \"$EXTRA\""),
    ("0.11.0", """--rope-scaling '{"type": "dynamic", "factor": 4}'"""),  # the legacy key is taken as rope_type
    ("0.11.0", """--rope-scaling '{"rope_type": "yarn", "factor": 4}'"""),
    ("0.9.2", """--rope-scaling '{"factor": 4}'"""),  # a KeyError that depends on the model type
    ("0.20.2", "--max-num-partial-prefills 1 --long-prefill-token-threshold 16"),
    ("0.11.0", "--max-num-partial-prefills 2"),  # falls back to V0 when VLLM_USE_V1 is unset
    ("0.20.2", "--max-num-partial-prefills $N"),
]


@pytest.mark.parametrize("release, args, words", FIRES)
def test_engine_check_fires(tmp_path, release, args, words):
    msgs = vll209_messages(tmp_path, release, args)
    assert len(msgs) == 1 and words in msgs[0], msgs
    assert msgs[0].startswith(f"vLLM {release} stops building the engine config: ")


@pytest.mark.parametrize("release, args", QUIET)
def test_engine_check_stays_quiet(tmp_path, release, args):
    assert vll209_messages(tmp_path, release, args) == []


def test_not_object_false_holds_on_a_json_object_only():
    values = {"spec": {}, "listed": [1], "unset": None}

    def value_of(dest):
        return True, values.get(dest)

    assert conditions.holds([{"dest": "spec", "not_object": False}], value_of)
    assert not conditions.holds([{"dest": "listed", "not_object": False}], value_of)
    assert not conditions.holds([{"dest": "unset", "not_object": False}], value_of)
    assert conditions.holds([{"dest": "listed", "not_object": True}], value_of)


def test_a_field_error_that_comes_first_is_left_to_the_field_check(tmp_path):
    # 0.19.1/0.20.2: the legacy "worker,all" element fails the ObservabilityConfig Literal before the model validator
    msgs = vll209_messages(tmp_path, "0.20.2", "--collect-detailed-traces worker,all")
    assert len(msgs) == 1 and "collect_detailed_traces.0" in msgs[0] and "otlp" not in msgs[0], msgs
