from vllm_lint.launch.args import find_launch, parse
from vllm_lint.launch.deployment import Deployment, Word
from vllm_lint.sources.span import Span


def words(*values):
    return [Word(v, Span("f", 1, i + 1, 1, i + 2)) for i, v in enumerate(values)]


def deployment(*values, launcher="vllm serve"):
    d = Deployment("f", "script", "x", Span.point("f"))
    d.args = parse(words(*values), launcher)
    return d


def test_find_launch():
    assert find_launch(words("vllm", "serve", "m"))[0] == "vllm serve"
    assert find_launch(words("/usr/bin/python3", "-m", "vllm.entrypoints.openai.api_server", "--x"))[0] == "api_server"
    assert find_launch(words("python", "app.py")) is None


def test_forms_are_normalized():
    d = deployment("model-id", "--max_model_len=4096", "--tensor-parallel-size", "2", "--enforce-eager",
                   "--limit-mm-per-prompt.image", "3", "--limit-mm-per-prompt.video", "0", "--port", "1", "--port", "2")
    assert d.model == "model-id"
    assert d.value("max-model-len") == "4096" and d.arg("max-model-len").inline
    assert d.tensor_parallel == 2
    assert d.flag_set("enforce-eager")
    assert d.json_value("limit-mm-per-prompt") == {"image": 3, "video": 0}
    assert d.value("port") == "2"  # the last one wins
    assert len(d.all("port")) == 2


def test_json_merged_with_dotted_keys():
    d = deployment("m", "--limit-mm-per-prompt", '{"image": 1, "video": 2}', "--limit-mm-per-prompt.video", "0")
    assert d.json_value("limit-mm-per-prompt") == {"image": 1, "video": 0}


def test_negative_numbers_are_values_and_second_positional_is_kept():
    d = deployment("m", "--seed", "-1", "extra")
    assert d.value("seed") == "-1"
    assert [a.value for a in d.args if a.name == ""] == ["extra"]


def test_api_server_has_no_positional_model():
    d = deployment("--model", "m", launcher="api_server")
    assert d.model == "m" and d.model_arg.origin == "command"
