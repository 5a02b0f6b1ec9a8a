import pytest

from vllm_lint.sources.interpolation import interpolate

ENV = {"SET": "value", "EMPTY": "", "PORT": "5003"}


@pytest.mark.parametrize("raw, expected", [
    ("plain", "plain"),
    ("$SET", "value"),
    ("${SET}", "value"),
    ("a${SET}b", "avalueb"),
    ("${UNSET:-default}", "default"),
    ("${EMPTY:-default}", "default"),
    ("${EMPTY-default}", ""),
    ("${UNSET-default}", "default"),
    ("${SET:-default}", "value"),
    ("${SET:+alt}", "alt"),
    ("${UNSET:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("$$SET", "$SET"),
    ("$${SET}", "${SET}"),
    ("${UNSET:-${SET}}", "value"),
    ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("http://localhost:${PORT:-8000}/health", "http://localhost:5003/health"),
    ("cost $5", "cost $5"),
])
def test_values(raw, expected):
    assert interpolate(raw, ENV.get).value == expected


def test_unset_without_default_is_reported_and_blank():
    result = interpolate("--model=${MODEL_NAME_MEDIUM}", ENV.get)
    assert result.value == "--model="
    [ref] = result.references
    assert (ref.name, ref.problem, ref.offset, ref.text) == ("MODEL_NAME_MEDIUM", "unset", 8, "${MODEL_NAME_MEDIUM}")


def test_unset_bare_dollar_variable_is_reported():
    assert interpolate("$NOPE/x", ENV.get).references[0].problem == "unset"


@pytest.mark.parametrize("raw, problem", [
    ("${UNSET:?needs a value}", "required"),
    ("${EMPTY:?needs a value}", "required"),
    ("${UNSET?needs a value}", "required"),
])
def test_required(raw, problem):
    ref = interpolate(raw, ENV.get).references[0]
    assert ref.problem == problem and "needs a value" in ref.message


def test_required_empty_allowed_without_colon():
    result = interpolate("${EMPTY?needs}", ENV.get)
    assert result.references[0].problem is None and result.value == ""


@pytest.mark.parametrize("raw", ["${", "${SET", "${1BAD}", "${SET:x}"])
def test_invalid(raw):
    assert any(r.problem == "invalid" for r in interpolate(raw, ENV.get).references)


def test_default_is_not_evaluated_when_value_set():
    result = interpolate("${SET:-${UNSET}}", ENV.get)
    assert result.value == "value"
    assert [r.problem for r in result.references] == [None]
