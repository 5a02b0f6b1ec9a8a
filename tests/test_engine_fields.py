"""The typed and bounded fields of vLLM's engine config classes (``knowledge/vllm/engine_fields.json``): a value
the parser accepts and ``EngineArgs.create_engine_config()`` rejects is VLL209, with pydantic's message; the
deprecated-flag fix takes a stray boolean word with it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import lint

from vllm_lint.vllm import engine_fields
from vllm_lint.vllm.release import load_release

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


def test_engine_fields_validate_against_their_schema():
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads((KNOWLEDGE / "vllm" / "engine_fields.json").read_text())
    jsonschema.validate(doc, json.loads((KNOWLEDGE / "schemas" / "vllm_engine_fields.schema.json").read_text()))
    assert {"0.9.2", "0.11.0", "0.19.1", "0.33.0"} <= set(doc["releases"])
    for release, table in doc["releases"].items():
        for dest, entries in table.items():
            for e in entries:
                assert e["source"].startswith("vllm/") and ":" in e["source"], (release, dest, e)


def test_every_option_named_is_an_option_of_its_release():
    doc = json.loads((KNOWLEDGE / "vllm" / "engine_fields.json").read_text())
    for release in ("0.9.2", "0.11.0", "0.19.1", "0.33.0"):
        dests = {o.dest for o in load_release(release).options()}
        assert set(doc["releases"][release]) <= dests, release


@pytest.mark.parametrize("dest, value, words", [
    ("stream_interval", 0, ("Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, "
                           "input_type=int]")),
    ("data_parallel_size", 0, "Input should be greater than or equal to 1"),
    ("gpu_memory_utilization", 1.5, "Input should be less than or equal to 1 [type=less_than_equal"),
    ("optimization_level", "auto", "Input should be 0, 1, 2 or 3 [type="),
])
def test_violations_have_pydantic_words(dest, value, words):
    bad = engine_fields.violation("0.33.0", dest, value)
    assert bad is not None and words in bad["message"], bad
    assert bad["message"].startswith("1 validation error for ")
    assert bad["source"].startswith("vllm/config/")


@pytest.mark.parametrize("dest, value", [("stream_interval", 1), ("data_parallel_size", 2),
                                         ("gpu_memory_utilization", 1), ("gpu_memory_utilization", 0.9),
                                         ("optimization_level", "3"), ("optimization_level", 0),
                                         ("stream_interval", None), ("no_such_option", 0)])
def test_accepted_values_stay_quiet(dest, value):
    assert engine_fields.violation("0.33.0", dest, value) is None


def test_a_field_passed_to_several_classes_is_judged_only_when_all_reject():
    table = engine_fields.fields("0.33.0")
    multi = [d for d, es in table.items() if len(es) > 1]
    for dest in multi:
        assert all(engine_fields.violation("0.33.0", dest, v) is None or
                   all(engine_fields._entry_error(e, v) for e in table[dest]) for v in (0, -1, "x", [1]))


def _lint(tmp_path, release, args, select=("VLL209",)):
    return lint(tmp_path, {"run.sh": f"pip install vllm=={release}\nvllm serve org/model {args}\n"},
                select=list(select))


@pytest.mark.parametrize("release, args, words", [
    ("0.33.0", "--stream-interval 0", "SchedulerConfig\nstream_interval\n  Input should be greater than or equal to 1"),
    ("0.33.0", "--data-parallel-size=0", "ParallelConfig\ndata_parallel_size\n"),
    ("0.33.0", "--optimization-level auto", "VllmConfig\noptimization_level\n  Input should be 0, 1, 2 or 3"),
    ("0.33.0", "-O3.5", "optimization_level"),
    ("0.33.0", "--max-num-seqs 0", "SchedulerConfig\nmax_num_seqs"),
    ("0.33.0", "--gpu-memory-utilization 1.5", "CacheConfig\ngpu_memory_utilization\n  Input should be less than or"),
    ("0.19.1", "--max-num-batched-tokens 0", "SchedulerConfig\nmax_num_batched_tokens\n"),
    ("0.11.0", "--hf-overrides '[1, 2]'", ("2 validation errors for ModelConfig\nhf_overrides.dict[str,any]\n  Input "
                                        "should be a valid dictionary [type=dict_type, input_value='[1, 2]', "
                                        "input_type=str]\nhf_overrides.callable\n  Input should be callable")),
    ("0.11.0", "--collect-detailed-traces model,worker",  # a choice of 0.11.0's parser that the field rejects
     ("ObservabilityConfig\ncollect_detailed_traces.0\n  Input should be 'model', 'worker' or 'all' "
     "[type=literal_error, input_value='model,worker', input_type=str]")),
    ("0.33.0", "--limit-mm-per-prompt '[1, 2]'",  # an InitVar of ModelConfig
     "ModelConfig\nlimit_mm_per_prompt\n  Input should be a valid dictionary [type=dict_type"),
])
def test_vll209_reports_a_value_the_engine_config_rejects(tmp_path, release, args, words):
    result = _lint(tmp_path, release, args)
    msgs = [f.message for f in result.findings if f.code == "VLL209"]
    assert len(msgs) == 1 and "stops building the engine config: ValidationError: " in msgs[0]
    assert words in msgs[0], msgs
    assert "(vllm/config" in msgs[0]


@pytest.mark.parametrize("release, args", [
    ("0.33.0", "--stream-interval 1 --data-parallel-size 2 -O3 --max-num-seqs 8 --gpu-memory-utilization 0.9"),
    ("0.33.0", "--optimization-level 2"),
    ("0.33.0", "--stream-interval $INTERVAL"),  # known only at run time
    ("0.19.1", "--max-num-batched-tokens 8192"),
    ("0.11.0", "--hf-overrides '{\"max_position_embeddings\": 8192}'"),
    ("0.11.0", "--collect-detailed-traces all --otlp-traces-endpoint http://collector:4317"),
    ("0.33.0", "--limit-mm-per-prompt '{\"image\": 2}'"),
])
def test_vll209_stays_quiet_on_good_values(tmp_path, release, args):
    assert [f.message for f in _lint(tmp_path, release, args).findings if f.code == "VLL209"] == []


def test_a_class_built_only_under_a_condition_is_judged_only_then(tmp_path):
    # LoRAConfig exists only with --enable-lora (EngineArgs: ``LoRAConfig(...) if self.enable_lora else None``)
    assert engine_fields.fields("0.20.2")["max_loras"][0]["when"] == [{"dest": "enable_lora", "truthy": True}]
    assert [f for f in _lint(tmp_path / "a", "0.20.2", "--max-loras 0").findings if f.code == "VLL209"] == []
    msgs = [f.message for f in _lint(tmp_path / "b", "0.20.2", "--enable-lora --max-loras 0").findings]
    assert len(msgs) == 1 and "LoRAConfig\nmax_loras\n  Input should be greater than or equal to 1" in msgs[0]


def test_a_value_the_parser_rejects_is_left_to_vll202(tmp_path):
    result = _lint(tmp_path, "0.33.0", "--stream-interval zero", select=("VLL202", "VLL209"))
    assert [f.code for f in result.findings] == ["VLL202"]


def _fixed(tmp_path, release, line, unsafe=True):
    from vllm_lint.fixes.apply import plan

    result = lint(tmp_path, {"run.sh": f"pip install vllm=={release}\n{line}\n"}, select=["VLL2"])
    entry = plan(result.findings, result.project, unsafe).get("run.sh")
    return entry.fixed.splitlines()[1] if entry is not None else line


@pytest.mark.parametrize("line, after", [
    ("vllm serve org/model --use-v2-block-manager true", "vllm serve org/model"),
    ("vllm serve org/model --use-v2-block-manager False --port 8000", "vllm serve org/model --port 8000"),
    ("vllm serve org/model --use-v2-block-manager", "vllm serve org/model"),
    ("vllm serve --use-v2-block-manager org/model", "vllm serve org/model"),
])
def test_removing_a_deprecated_flag_takes_its_stray_boolean_word(tmp_path, line, after):
    assert _fixed(tmp_path, "0.9.2", line).rstrip() == after
    assert load_release("0.9.2").parse(after.split()[2:], model=None).ok


def test_no_removal_when_another_stray_word_follows(tmp_path):
    line = "vllm serve org/model --use-v2-block-manager x"
    assert _fixed(tmp_path, "0.9.2", line) == line


def test_removal_in_a_yaml_list(tmp_path):
    from vllm_lint.fixes.apply import plan

    compose = ("services:\n  vllm:\n    image: vllm/vllm-openai:v0.9.2\n    command:\n      - org/model\n"
               "      - --use-v2-block-manager\n      - \"true\"\n      - --port\n      - \"8000\"\n")
    result = lint(tmp_path, {"compose.yaml": compose}, select=["VLL2"])
    entry = plan(result.findings, result.project, True).get("compose.yaml")
    assert entry is not None
    assert "--use-v2-block-manager" not in entry.fixed and '"true"' not in entry.fixed and "--port" in entry.fixed
