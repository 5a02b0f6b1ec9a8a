"""Checks across options that vLLM's engine configuration runs before any GPU work
(``knowledge/vllm/engine_checks.yaml``): each fires as VLL209 on a launch that the release's engine refuses, with
vLLM's message and source line, and stays quiet on the variants it accepts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import vll209_messages

from vllm_lint.vllm import conditions, engine_checks
from vllm_lint.vllm.release import load_release
from vllm_lint.vllm.startup_checks import holds as in_range

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


def _doc():
    return yaml.safe_load((KNOWLEDGE / "vllm" / "engine_checks.yaml").read_text())


def test_engine_checks_validate_against_their_schema():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(_doc(), json.loads((KNOWLEDGE / "schemas" / "vllm_engine_checks.schema.json").read_text()))


def _dests(when):
    for item in when:
        if "dest" not in item:
            continue  # a fact of the model's metadata
        yield item["dest"].partition(".")[0]
        for key in ("not_multiple_of",):
            if key in item:
                yield item[key].partition(".")[0]
        for key in ("lt", "le", "gt", "ge", "eq", "ne"):
            if isinstance(item.get(key), dict):
                yield item[key]["dest"].partition(".")[0]


def test_every_option_a_check_names_is_an_option_of_each_release_read_in_its_range():
    doc = _doc()
    ids = [c["id"] for c in doc["checks"]]
    assert len(ids) == len(set(ids))
    for check in doc["checks"]:
        for stretch in check["ranges"]:
            read = [v for v in doc["read"] if in_range(stretch, v)]
            assert read, (check["id"], stretch)  # a range holds at least one release read
            for version in read:
                dests = {o.dest for o in load_release(version).options()}
                missing = set(_dests(stretch.get("when", check["when"]))) - dests
                assert not missing, (check["id"], version, missing)


def test_conditions_read_parsed_values():
    values = {"tensor_parallel_size": 4, "decode_context_parallel_size": 3, "speculative_config": {"method": "ngram"},
              "additional_config": "abc", "otlp": None}

    def value_of(dest):
        return (dest != "later"), values.get(dest)

    assert conditions.holds([{"dest": "tensor_parallel_size", "not_multiple_of": "decode_context_parallel_size"}],
                            value_of)
    same = {"dest": "decode_context_parallel_size", "not_multiple_of": "decode_context_parallel_size"}
    assert not conditions.holds([same], value_of)
    assert conditions.holds([{"dest": "speculative_config.method", "in": ["ngram"]},
                             {"dest": "speculative_config.num_speculative_tokens", "none": True}], value_of)
    assert conditions.holds([{"dest": "additional_config", "not_object": True}], value_of)
    assert not conditions.holds([{"dest": "speculative_config", "not_object": True}], value_of)
    above = {"dest": "tensor_parallel_size", "gt": {"dest": "decode_context_parallel_size"}}
    assert conditions.holds([above], value_of)
    assert not conditions.holds([{"dest": "later", "truthy": False}], value_of)  # known only at run time
    assert conditions.format_message("tp_size={tensor_parallel_size} x {later}", value_of) == "tp_size=4 x {later}"
    assert conditions.holds([{"dest": "additional_config", "ignore_case": True, "in": ["ABC"]}], value_of)
    assert not conditions.holds([{"dest": "additional_config", "in": ["ABC"]}], value_of)
    assert conditions.format_message("'{additional_config!upper}'", value_of) == "'ABC'"




#: (release, options, words of the one VLL209 finding)
FIRES = [
    ("0.11.0", "-tp 4 --decode-context-parallel-size 8",
     "stops building the engine config: AssertionError: tp_size=4 must be divisible bydcp_size=8. "
     "(vllm/engine/arg_utils.py:1184 in 0.11.0)"),
    ("0.20.2", "--tensor-parallel-size 4 --decode-context-parallel-size 3",
     "ValidationError: 1 validation error for ParallelConfig\n  Value error, tp_size=4 must be divisible "
     "bydcp_size=3."),
    ("0.33.0", "-tp 4 -dcp 8", "tp_size=4 must be divisible by dcp_size=8. (vllm/config/parallel.py:599 in 0.33.0)"),
    ("0.19.1", "--attention-backend flash_attention",  # vLLM looks the name up upper-cased, and prints it so
     "ValueError: Unknown attention backend: 'FLASH_ATTENTION'. Valid options are: FLASH_ATTN, FLASH_ATTN_DIFFKV, "),
    ("0.19.1", "--attention-backend TURBOQUANT",  # a member from 0.20.2 on
     "(vllm/v1/attention/backends/registry.py:28 in 0.19.1)"),
    ("0.11.0", "--quantization awq-marlin",  # the method is awq_marlin
     "ModelConfig\n  Value error, Unknown quantization method: awq-marlin. Must be one of ['awq', "),
    ("0.19.1", "--quantization a-b", "(vllm/config/model.py:997 in 0.19.1)"),
]

#: (release, options): variants the engine accepts
QUIET = [
    ("0.20.2", "-tp 8 -dcp 4"),
    ("0.33.0", "-tp 4 -dcp 8 --prefill-context-parallel-size 2"),  # with PCP, DCP may be tp * pcp
    ("0.11.0", "-tp 4 --decode-context-parallel-size $DCP"),  # known only at run time
    ("0.9.2", "-tp 4"),
    ("0.20.2", "--attention-backend flashinfer"),
    ("0.20.2", "--attention-backend TURBOQUANT"),
    ("0.33.0", "--attention-backend AUTO"),
    ("0.33.0", "--attention-backend $BACKEND"),
    ("0.22.0", "--attention-backend bogus"),  # a release whose enum was not read is not judged
    ("0.20.2", "--quantization awq_marlin"),
    ("0.9.2", "--quantization gptq"),
    ("0.33.0", "--quantization $QUANT"),
]


@pytest.mark.parametrize("release, args, words", FIRES)
def test_engine_check_fires(tmp_path, release, args, words):
    msgs = vll209_messages(tmp_path, release, args)
    assert len(msgs) == 1 and words in msgs[0], msgs
    assert msgs[0].startswith(f"vLLM {release} stops building the engine config: ")


@pytest.mark.parametrize("release, args", QUIET)
def test_engine_check_stays_quiet(tmp_path, release, args):
    assert vll209_messages(tmp_path, release, args) == []


def test_a_release_outside_every_range_is_not_judged():
    def value_of(dest):
        return True, {"tensor_parallel_size": 4, "decode_context_parallel_size": 3}.get(dest)

    assert [c["id"] for c in engine_checks.failing("0.20.2", value_of)] == ["dcp-divides-tp"]
    assert engine_checks.failing("0.14.0", value_of) == []  # between two ranges read differently: not read
