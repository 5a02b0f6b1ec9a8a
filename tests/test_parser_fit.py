"""The parser disagreements of issue 16, each closed, and fixes that never write a value the release rejects."""
from conftest import lint

from vllm_lint.vllm.release import load_release


def _lint(tmp_path, version, line, select=("VLL2",)):
    return lint(tmp_path, {"run.sh": f"pip install vllm=={version}\nvllm serve Qwen/Qwen3-8B {line}\n"}, select=list(select))


def test_nargs_plus_values_are_converted_one_by_one(tmp_path):
    assert _lint(tmp_path, "0.11.0", "--cuda-graph-sizes 4 8").findings == []
    assert _lint(tmp_path, "0.19.1", "--cudagraph-capture-sizes 1 2 4").findings == []
    [bad] = _lint(tmp_path, "0.11.0", "--cuda-graph-sizes 4 x").findings
    assert "invalid int value: 'x'" in bad.message


def test_bad_O_shorthand_is_rejected_like_compilation_config(tmp_path):
    for release in ("0.9.2", "0.11.0"):
        r = load_release(release)
        assert not r.parse(["-Ox"]).ok and not r.parse(["-O{}"]).ok
        assert r.parse(["-O3"]).ok and r.parse(["-O", "2"]).ok
    [finding] = _lint(tmp_path, "0.11.0", "-Ox").findings
    assert finding.code == "VLL202" and "level" in finding.message


def test_double_dash_ends_options(tmp_path):
    [finding] = _lint(tmp_path, "0.11.0", "-- --enforce-eager").findings
    assert finding.code == "VLL201" and "unrecognized arguments: --enforce-eager" in finding.message


def test_positional_model_and_model_flag(tmp_path):
    result = lint(tmp_path, {"run.sh": "pip install vllm==0.19.1\nvllm serve Qwen/Qwen3-8B --model Qwen/Qwen3-8B\n"},
                  select=["VLL201"])
    assert [f.message for f in result.findings] == [
        "vllm serve 0.19.1 rejects a positional model together with --model: unrecognized arguments: Qwen/Qwen3-8B"]


def test_key_value_json_is_deprecated_in_0_9(tmp_path):
    [finding] = _lint(tmp_path, "0.9.2", "--limit-mm-per-prompt image=3", select=["VLL203"]).findings
    assert "is deprecated. This will be removed in v0.10.0" in finding.message
    assert finding.fix.edits[0].replacement == '\'{"image":3}\''
    assert _lint(tmp_path, "0.9.2", "--limit-mm-per-prompt '{\"image\":3}'", select=["VLL203"]).findings == []


def test_serve_checks(tmp_path):
    result = _lint(tmp_path, "0.11.0", "--enable-auto-tool-choice --enable-log-outputs", select=["VLL209"])
    assert [f.message.split(": ", 1)[1] for f in result.findings] == [
        "TypeError: Error: --enable-auto-tool-choice requires --tool-call-parser (vllm/entrypoints/openai/cli_args.py:244 (0.6.3))",
        "TypeError: Error: --enable-log-outputs requires --enable-log-requests (vllm/entrypoints/openai/cli_args.py:280 (0.11.0))"]
    assert _lint(tmp_path, "0.11.0", "--enable-auto-tool-choice --tool-call-parser hermes", select=["VLL209"]).findings == []


def test_parser_messages(tmp_path):
    [flag] = _lint(tmp_path, "0.11.0", "--enforce-eager=false").findings
    assert flag.message.endswith("ignored explicit argument 'false'")
    [abbrev] = _lint(tmp_path, "0.11.0", "--dis").findings
    assert "ambiguous option: --dis could match --disable-uvicorn-access-log" in abbrev.message


def test_fixes_never_write_a_rejected_value(tmp_path):
    release = load_release("0.33.0")
    for value in ("bogus", "none"):
        result = _lint(tmp_path, "0.33.0", f"--tool-strict-level {value}")
        for f in result.findings:
            if f.fix is not None:
                written = f.fix.edits[-1].replacement.strip("'")
                assert release.check_value("--tool-strict-level", written) is None, written
    result = _lint(tmp_path, "0.13.0", "--rope-scaling yarn")
    assert all(f.fix is None for f in result.findings)
    result = _lint(tmp_path, "0.13.0", "--rope-scaling '{\"rope_type\":\"yarn\",\"factor\":4.0}'")
    [fix] = [f.fix for f in result.findings if f.fix]
    assert release.check_value("--hf-overrides", fix.edits[-1].replacement.strip("'")) is None
