"""VLL209 on the elements of a dict or list option (``shape`` in ``knowledge/vllm/engine_fields.json``): a dict's
value, a list's item or a union's member inside them that the engine config class rejects, with pydantic's whole
message; values it accepts, and values only known at run time, stay quiet.

The expected messages are the real engine's (``differential_parser.py run --engine`` on each release), whose
recorded text stops after some 300 characters; the rest is pydantic's, for the same value and field."""
from __future__ import annotations

import pytest
from conftest import vll209_messages

from vllm_lint.vllm import engine_fields

LIMIT_VIDEO_LIST = ("2 validation errors for ModelConfig\n"
                    "limit_mm_per_prompt.video.int\n"
                    "  Input should be a valid integer [type=int_type, input_value=[1, 2], input_type=list]\n"
                    "limit_mm_per_prompt.video.dict[str,int]\n"
                    "  Input should be a valid dictionary [type=dict_type, input_value=[1, 2], input_type=list]")
PT_LOAD_MAP = ("2 validation errors for LoadConfig\n"
               "pt_load_map_location.str\n"
               "  Input should be a valid string [type=string_type, input_value={'a': 1}, input_type=dict]\n"
               "pt_load_map_location.dict[str,str].a\n"
               "  Input should be a valid string [type=string_type, input_value=1, input_type=int]")
PT_LOAD_BOGUS = ("2 validation errors for LoadConfig\n"
                 "pt_load_map_location.str\n"
                 "  Input should be a valid string [type=string_type, input_value={'bogus_key': 1}, input_type=dict]\n"
                 "pt_load_map_location.dict[str,str].bogus_key\n"
                 "  Input should be a valid string [type=string_type, input_value=1, input_type=int]")


@pytest.mark.parametrize("release, args, message", [
    ("0.9.2", "--limit-mm-per-prompt.video x",  # dict[str, int]
     "1 validation error for ModelConfig\nlimit_mm_per_prompt.video\n  Input should be a valid integer, unable to "
     "parse string as an integer [type=int_parsing, input_value='x', input_type=str]"),
    ("0.19.1", "--limit-mm-per-prompt.video '[1, 2]'", LIMIT_VIDEO_LIST),  # dict[str, int | dict[str, int]]
    ("0.19.1", "--limit-mm-per-prompt '{\"video\": [1, 2]}'", LIMIT_VIDEO_LIST),
    ("0.20.2", "--limit-mm-per-prompt.vision_chunk x",
     "2 validation errors for ModelConfig\nlimit_mm_per_prompt.vision_chunk.int\n  Input should be a valid integer, "
     "unable to parse string as an integer [type=int_parsing, input_value='x', input_type=str]\n"
     "limit_mm_per_prompt.vision_chunk.dict[str,int]\n  Input should be a valid dictionary [type=dict_type, "
     "input_value='x', input_type=str]"),
    ("0.33.0", "--limit-mm-per-prompt '{\"audio\": null}'",
     "2 validation errors for ModelConfig\nlimit_mm_per_prompt.audio.int\n  Input should be a valid integer "
     "[type=int_type, input_value=None, input_type=NoneType]\nlimit_mm_per_prompt.audio.dict[str,int]\n  Input "
     "should be a valid dictionary [type=dict_type, input_value=None, input_type=NoneType]"),
    ("0.9.2", "--media-io-kwargs.bogus_key 1",  # dict[str, dict[str, Any]]
     "1 validation error for ModelConfig\nmedia_io_kwargs.bogus_key\n  Input should be a valid dictionary "
     "[type=dict_type, input_value=1, input_type=int]"),
    ("0.11.0", "--media-io-kwargs '{\"a\": 1}'",
     "1 validation error for ModelConfig\nmedia_io_kwargs.a\n  Input should be a valid dictionary [type=dict_type, "
     "input_value=1, input_type=int]"),
    ("0.19.1", "--media-io-kwargs.bogus_key 1",
     "1 validation error for ModelConfig\nmedia_io_kwargs.bogus_key\n  Input should be a valid dictionary "
     "[type=dict_type, input_value=1, input_type=int]"),
    ("0.9.2", "--pt-load-map-location.bogus_key 1", PT_LOAD_BOGUS),  # str | dict[str, str]
    ("0.11.0", "--pt-load-map-location '{\"a\": 1}'", PT_LOAD_MAP),
    ("0.19.1", "--pt-load-map-location ' {\"a\": 1} '", PT_LOAD_MAP),
    ("0.20.2", "--pt-load-map-location.bogus_key 1", PT_LOAD_BOGUS),
    ("0.9.2", "--ignore-patterns=",  # str | list[str] | None, given [None]
     "2 validation errors for LoadConfig\nignore_patterns.str\n  Input should be a valid string [type=string_type, "
     "input_value=[None], input_type=list]\nignore_patterns.list[str].0\n  Input should be a valid string "
     "[type=string_type, input_value=None, input_type=NoneType]"),
    ("0.11.0", "--ignore-patterns None",  # list[str] | str | None
     "2 validation errors for LoadConfig\nignore_patterns.list[str].0\n  Input should be a valid string "
     "[type=string_type, input_value=None, input_type=NoneType]\nignore_patterns.str\n  Input should be a valid "
     "string [type=string_type, input_value=[None], input_type=list]"),
    ("0.9.2", "--served-model-name None",
     "2 validation errors for ModelConfig\nserved_model_name.str\n  Input should be a valid string "
     "[type=string_type, input_value=[None], input_type=list]\nserved_model_name.list[str].0\n  Input should be a "
     "valid string [type=string_type, input_value=None, input_type=NoneType]"),
    ("0.9.2", "--override-pooler-config ' 7 '",  # dict | PoolerConfig: a nested class has words of its own
     "2 validation errors for ModelConfig\noverride_pooler_config.dict[any,any]\n  Input should be a valid "
     "dictionary [type=dict_type, input_value=' 7 ', input_type=str]\noverride_pooler_config.PoolerConfig\n  Input "
     "should be a dictionary or an instance of PoolerConfig [type=dataclass_type, input_value=' 7 ', input_type=str]"),
    ("0.33.0", "--watermark 2.0",  # Field(lt=1.0): pydantic prints the bound as 1
     "1 validation error for SchedulerConfig\nwatermark\n  Input should be less than 1 [type=less_than, "
     "input_value=2.0, input_type=float]"),
    ("0.33.0", "--model-class-overrides.bogus_key 1",  # dict[str, str]
     "1 validation error for ModelConfig\nmodel_class_overrides.bogus_key\n  Input should be a valid string "
     "[type=string_type, input_value=1, input_type=int]"),
])
def test_a_wrong_element_is_reported_with_the_engines_words(tmp_path, release, args, message):
    msgs = vll209_messages(tmp_path, release, args)
    assert len(msgs) == 1, msgs
    assert f"stops building the engine config: ValidationError: {message} (vllm/config" in msgs[0], msgs


@pytest.mark.parametrize("release, args", [
    ("0.19.1", "--limit-mm-per-prompt '{\"image\": 2}'"),
    ("0.19.1", "--limit-mm-per-prompt '{\"image\": 2, \"video\": {\"count\": 1}}'"),
    ("0.9.2", "--limit-mm-per-prompt.video 2 --limit-mm-per-prompt.image 1"),
    ("0.33.0", "--limit-mm-per-prompt.audio 1"),
    ("0.19.1", "--media-io-kwargs '{\"video\": {\"num_frames\": 8}}'"),
    ("0.9.2", "--media-io-kwargs.video.num_frames 8"),
    ("0.9.2", "--pt-load-map-location cuda:0"),
    ("0.9.2", "--pt-load-map-location ' {\"a\": 1} '"),  # 0.9.2's parser keeps it a string (the engine agreed)
    ("0.19.1", "--pt-load-map-location '{\"\": \"cuda:0\"}'"),
    ("0.9.2", "--ignore-patterns \"*.pt\""),
    ("0.11.0", "--ignore-patterns \"*.pt\" original/**/*"),
    ("0.9.2", "--served-model-name my-model other-name"),
    ("0.33.0", "--model-class-overrides.Qwen3ForCausalLM my_pkg:MyModel"),
    ("0.19.1", "--limit-mm-per-prompt.video $VIDEO_LIMIT"),  # known only at run time
    ("0.19.1", "--media-io-kwargs \"$MEDIA_KWARGS\""),
    ("0.9.2", "--pt-load-map-location $MAP"),
])
def test_valid_elements_stay_quiet(tmp_path, release, args):
    assert vll209_messages(tmp_path, release, args) == []


def test_the_dotted_sub_keys_replace_the_plain_option(tmp_path):
    """vLLM's parser appends the dict of the dotted sub-keys after the other words (``FlexibleArgumentParser.
    parse_args``, vllm/utils/__init__.py:1590 (0.9.2)), so it replaces a plain ``--limit-mm-per-prompt`` written
    anywhere; the finding is on the dotted option."""
    from conftest import lint

    def findings(root, args):
        result = lint(root, {"run.sh": f"pip install vllm==0.9.2\nvllm serve org/model {args}\n"}, select=["VLL209"])
        return [f for f in result.findings if f.code == "VLL209"]

    bad = findings(tmp_path / "a", "--limit-mm-per-prompt.video x --limit-mm-per-prompt '{\"video\": 1}'")
    assert len(bad) == 1 and "limit_mm_per_prompt.video\n  Input should be a valid integer" in bad[0].message
    assert bad[0].span.column == len("vllm serve org/model ") + 1  # on --limit-mm-per-prompt.video
    assert findings(tmp_path / "b", "--limit-mm-per-prompt '{\"video\": \"x\"}' --limit-mm-per-prompt.video 1") == []


@pytest.mark.parametrize("release, dest, value, message", [
    ("0.19.1", "limit_mm_per_prompt", {"video": {"a": 1, "b": "x"}},  # inside the union's dict member
     "2 validation errors for ModelConfig\nlimit_mm_per_prompt.video.int\n  Input should be a valid integer "
     "[type=int_type, input_value={'a': 1, 'b': 'x'}, input_type=dict]\nlimit_mm_per_prompt.video.dict[str,int].b\n"
     "  Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='x', "
     "input_type=str]"),
    ("0.9.2", "limit_mm_per_prompt", {"a.b": "x"},  # a key with a dot is printed between backquotes
     "1 validation error for ModelConfig\nlimit_mm_per_prompt.`a.b`\n  Input should be a valid integer, unable to "
     "parse string as an integer [type=int_parsing, input_value='x', input_type=str]"),
    ("0.19.1", "limit_mm_per_prompt", {"video": "y" * 60},  # at most 50 bytes of a repr: 25, "..." and the last 24
     "2 validation errors for ModelConfig\nlimit_mm_per_prompt.video.int\n  Input should be a valid integer, unable "
     "to parse string as an integer [type=int_parsing, input_value='yyyyyyyyyyyyyyyyyyyyyyyy...yyyyyyyyyyyyyyyyyyyyyyy'"
     ", input_type=str]\nlimit_mm_per_prompt.video.dict[str,int]\n  Input should be a valid dictionary "
     "[type=dict_type, input_value='yyyyyyyyyyyyyyyyyyyyyyyy...yyyyyyyyyyyyyyyyyyyyyyy', input_type=str]"),
    ("0.9.2", "limit_mm_per_prompt", {"a": float("inf"), "b": 1e300, "c": 2.0},  # JSON's Infinity, 1e300
     "2 validation errors for ModelConfig\nlimit_mm_per_prompt.a\n  Input should be a finite number "
     "[type=finite_number, input_value=inf, input_type=float]\nlimit_mm_per_prompt.b\n  Unable to parse input "
     "string as an integer, exceeded maximum size [type=int_parsing_size, input_value=1e+300, input_type=float]"),
    ("0.20.2", "numa_bind_nodes", ["x"],  # list[int], then a function of vLLM's: the type's errors come first
     "1 validation error for ParallelConfig\nnuma_bind_nodes.0\n  Input should be a valid integer, unable to parse "
     "string as an integer [type=int_parsing, input_value='x', input_type=str]"),
])
def test_pydantic_words_for_an_element(release, dest, value, message):
    assert engine_fields.violation(release, dest, value)["message"] == message


@pytest.mark.parametrize("release, dest, value", [
    ("0.19.1", "media_io_kwargs", {"video": {"num_frames": "x"}}),  # dict[str, dict[str, Any]]: accepted
    ("0.19.1", "limit_mm_per_prompt", {"video": "1.0"}),  # pydantic reads "1.0" as the integer 1
    ("0.19.1", "limit_mm_per_prompt", {"video": " 3 ", "image": True}),  # True is the integer 1
    # not told exactly, so not judged:
    ("0.19.1", "logits_processors", [1]),  # str | an is-instance check, which the shape does not model
    ("0.20.2", "numa_bind_nodes", [1]),  # the type accepts it, then vLLM's own function decides
    ("0.9.2", "long_lora_scaling_factors", "x"),  # a tuple: pydantic's words are not a list's
    ("0.19.1", "limit_mm_per_prompt", None),  # unset
])
def test_accepted_or_untold_elements_are_not_reported(release, dest, value):
    assert engine_fields.violation(release, dest, value) is None
