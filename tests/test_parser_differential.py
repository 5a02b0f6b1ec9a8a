"""vllm-lint against the REAL ``vllm serve`` parser, replayed without vLLM.

``tests/data/parser_verdicts/differential/<release>.json`` holds command lines that
``knowledge/tools/differential_parser.py`` generated (typos, choices, types, JSON forms, dotted keys, nargs,
abbreviations, booleans, ``-O`` forms, ``--``, a positional model with ``--model``, ``key=value`` JSON) with the
verdict of the release's own ``parse_args`` (and its post-parse serve checks), and every line a vllm-lint fix
rewrote with the real verdict of the rewritten line, and (``--engine``) the verdict of the release's
``create_engine_config()`` on the lines both pass. Here: the emulated parse gives the same verdict, the
VLL201/VLL202 findings fall exactly on the rejected lines, VLL209 on the lines the serve checks stop, its
engine-config findings only on lines the engine stopped, and every fix still writes what the real parser accepted.
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from conftest import lint

from vllm_lint import engine
from vllm_lint.vllm.release import load_release

DATA = Path(__file__).resolve().parent / "data" / "parser_verdicts" / "differential"
RELEASES = sorted((p.stem for p in DATA.glob("*.json")), key=lambda v: [int(x) for x in v.split(".")])


#: Checks vllm-lint does not make (yet), each with the reason: a line the real parser or serve check stops for
#: one of these may pass vllm-lint. Everything else must agree.
#: - a JSON field behind a validator of vLLM's own (typed ``any`` in knowledge/vllm/config_fields.json: the
#:   validator may turn any input into the field's type, or reject what the type allows);
#: - ``--chat-template`` that is no template: vLLM looks the file up when the server starts, in the container;
#: - serve checks that validate_parsed_serve_args makes in helper functions (0.33.0), which
#:   knowledge/tools/build_vllm_serve_checks.py does not read.
HELPER_CHECKS = ("ValueError: Error: --reasoning-effort-map must be", "ValueError: --grpc-port requires",
                 "ValueError: Error: --data-parallel-multi-port-external-lb requires")


def _unjudged_field(release, error) -> bool:
    """Whether the real parser's ``error`` is about a config field vllm-lint does not judge (typed ``any``)."""
    import re

    from vllm_lint.vllm.options import config_fields_table
    from vllm_lint.vllm.parser import config_class

    rel = load_release(release)
    classes = config_fields_table()["releases"].get(rel.version, {})
    m = re.search(r"validation error for (\w+)\n(\w+)\n", error or "")
    if m:
        return classes.get(m.group(1), {}).get(m.group(2)) == "any"
    m = re.search(r"^argument (\S+?)(?:/\S+)?: invalid \w+ value: '(.*)'$", error or "", re.DOTALL)
    if m:
        option = rel.option(m.group(1))
        fields = classes.get(config_class(option.conv) if option else None, {})
        try:
            data = json.loads(m.group(2))
        except ValueError:
            return False
        return isinstance(data, dict) and bool(data) and all(fields.get(k) == "any" for k in data)
    return False


def _unjudged_post(post) -> bool:
    return bool(post) and ("appears path-like, but doesn't exist" in post or post.startswith(HELPER_CHECKS))


def _load(release):
    return json.loads((DATA / f"{release}.json").read_text())


def _script(release, lines):
    return f"pip install vllm=={release}\n" + "".join(
        ("vllm serve " + " ".join(shlex.quote(w) for w in argv)).rstrip() + "\n" for argv in lines)


def _lint_lines(tmp_path, monkeypatch, release, lines, select=("VLL2",)):
    monkeypatch.setattr(engine, "MAX_FINDINGS_PER_FILE", 10 ** 9)  # one script, hundreds of launches
    monkeypatch.setattr(engine, "MAX_FINDINGS_PER_RUN", 10 ** 9)
    result = lint(tmp_path, {"run.sh": _script(release, lines)}, select=list(select))
    by_line: dict[int, list] = {}
    for f in result.findings:
        by_line.setdefault(f.span.line - 2, []).append(f)
    return result, by_line


def test_the_differential_data_is_there():
    assert {"0.9.2", "0.11.0", "0.19.1", "0.33.0"} <= set(RELEASES)
    for release in RELEASES:
        doc = _load(release)
        assert len(doc["cases"]) >= 200
        assert sum(not v["ok"] for _, v in doc["cases"]) >= 50  # rejected lines, not only accepted ones
        assert not any("/work/" in json.dumps(c) or "/tmp/" in json.dumps(c) for c in doc["cases"])


@pytest.mark.parametrize("release", RELEASES)
def test_parse_verdicts_agree_with_the_real_parser(release):
    rel = load_release(release)
    wrong = []
    for argv, real in _load(release)["cases"]:
        ok = rel.parse(argv, model=None).ok
        if ok != real["ok"] and not (ok and _unjudged_field(release, real.get("error"))):
            wrong.append((argv, real))
    assert wrong == []


@pytest.mark.parametrize("release", RELEASES)
def test_findings_fall_on_the_rejected_lines(tmp_path, monkeypatch, release):
    cases = _load(release)["cases"]
    _, by_line = _lint_lines(tmp_path, monkeypatch, release, [argv for argv, _ in cases])
    wrong = []
    for i, (argv, real) in enumerate(cases):
        # VLL209's engine-config findings are judged against the engine's verdict (the test below)
        codes = {f.code for f in by_line.get(i, []) if ENGINE_STAGE not in f.message}
        rejected = bool(codes & {"VLL201", "VLL202"})
        if rejected == real["ok"] and not (not rejected and _unjudged_field(release, real.get("error"))) or \
                real["ok"] and bool(real.get("post")) != ("VLL209" in codes) and not _unjudged_post(real.get("post")):
            wrong.append((argv, real, sorted(codes)))
    assert wrong == []


#: the words of VLL209's findings about the engine config (rules/serve_check.py)
ENGINE_STAGE = "stops building the engine config"


@pytest.mark.parametrize("release", RELEASES)
def test_engine_config_findings_fall_on_the_lines_the_engine_stopped(tmp_path, monkeypatch, release):
    """The lines that pass the parser and the serve checks, with the verdict of the release's own
    ``EngineArgs.create_engine_config()`` (``differential_parser.py run --engine``): VLL209's engine-config
    findings fall only on lines it stopped (never a false alarm), and every line it stopped with pydantic's
    complaint about a field of ``knowledge/vllm/engine_fields.json`` that the option reaches unchanged is caught,
    with pydantic's words."""
    import re

    from vllm_lint.vllm import engine_fields

    cases = [(argv, real) for argv, real in _load(release)["cases"] if real["ok"] and not real.get("post")]
    assert sum(bool(real.get("engine")) for _, real in cases) >= 20
    _, by_line = _lint_lines(tmp_path, monkeypatch, release, [argv for argv, _ in cases], select=("VLL209",))
    rel = load_release(release)
    table = engine_fields.fields(release)
    wrong, caught = [], 0
    for i, (argv, real) in enumerate(cases):
        said = [f.message for f in by_line.get(i, []) if ENGINE_STAGE in f.message]
        stop = real.get("engine") or ""
        if said and not stop:
            wrong.append(("false alarm", argv, said))
            continue
        m = re.match(r"ValidationError: 1 validation error for (\w+)\n(\w+)\n  (Input should [^\n]*)", stop)
        given = {rel.option(w.split("=", 1)[0]).dest for w in argv if w.startswith("--") and rel.option(w.split("=", 1)[0])}
        reached = {(e["class"], e["field"]) for d in given for e in table.get(d, ())}
        if m and (m.group(1), m.group(2)) in reached and not said:
            wrong.append(("missed", argv, stop))  # the option reaches the field unchanged: it must be caught
        caught += bool(said)
        if said and m and m.group(3) not in said[0]:
            wrong.append(("words", argv, stop, said[0]))
    assert wrong == []
    assert caught >= 1


@pytest.mark.parametrize("release", RELEASES)
def test_fixes_write_what_the_real_parser_accepted(tmp_path, monkeypatch, release):
    """Every line a fix rewrote, rewritten again now: the same words as when the real parser judged them, and
    the real parser accepted them (or rejected them for the defect the line had before, which no fix touched)."""
    from vllm_lint.fixes.apply import MAX_PASSES, plan

    doc = _load(release)
    for mode in ("safe", "unsafe"):
        recorded = {json.dumps(argv): (words, after, before) for argv, m, words, after, before in doc["fixes"] if m == mode}
        for words, after, before in recorded.values():
            assert after["ok"] or after.get("error") == before.get("error"), (words, after)
        lines = [argv for argv, _ in doc["cases"]] + [json.loads(k) for k in recorded]
        text = _script(release, lines)
        monkeypatch.setattr(engine, "MAX_FINDINGS_PER_FILE", 10 ** 9)
        monkeypatch.setattr(engine, "MAX_FINDINGS_PER_RUN", 10 ** 9)
        for _ in range(MAX_PASSES):  # as --fix does: lint, fix, lint again until nothing changes
            result = lint(tmp_path / mode, {"run.sh": text}, select=["VLL2"])
            entry = plan(result.findings, result.project, unsafe=mode == "unsafe").get("run.sh")
            if entry is None or entry.fixed == text:
                break
            text = entry.fixed
        for argv, line in zip(lines, text.splitlines()[1:]):
            now = shlex.split(line)[2:]
            if now == argv:
                continue
            assert json.dumps(argv) in recorded, f"a fix ({mode}) the real parser never judged: {argv} -> {now}"
            assert now == recorded[json.dumps(argv)][0], (argv, now)


def test_config_fields_validate_against_their_schema():
    jsonschema = pytest.importorskip("jsonschema")
    root = Path(__file__).resolve().parent.parent / "knowledge"
    data = json.loads((root / "vllm" / "config_fields.json").read_text())
    jsonschema.validate(data, json.loads((root / "schemas" / "vllm_config_fields.schema.json").read_text()))
    assert {"0.9.2", "0.11.0", "0.33.0"} <= set(data["releases"])


def test_json_options_are_checked_against_the_config_fields():
    rel = load_release("0.11.0")
    bad = rel.parse(["--kv-transfer-config", '{"kv_port": "x"}'])
    assert not bad.ok and bad.error.startswith(
        "argument --kv-transfer-config: 1 validation error for KVTransferConfig\nkv_port\n"
        "  Input should be a valid integer, unable to parse string as an integer [type=int_parsing")
    assert rel.parse(["--kv-transfer-config", '{"kv_port": "14579"}']).ok  # pydantic's lax mode
    assert not rel.parse(["--kv-events-config.hwm", "[1, 2]"]).ok  # a dotted key is validated the same way
    assert rel.parse(["--kv-events-config.hwm", "7"]).ok
    wrong = rel.parse(["--compilation-config", "7"])
    assert wrong.error == ("argument --compilation-config/-O: 1 validation error for CompilationConfig\n"
                           "  Input should be an object [type=dataclass_type, input_value=7, input_type=int]")


def _fixes(tmp_path, release, line, unsafe=True):
    from vllm_lint.fixes.apply import plan

    result = lint(tmp_path, {"run.sh": f"pip install vllm=={release}\nvllm serve org/model {line}\n"}, select=["VLL2"])
    entry = plan(result.findings, result.project, unsafe=unsafe).get("run.sh")
    return entry.fixed.splitlines()[1] if entry else None


def test_a_fix_is_offered_only_when_the_release_accepts_what_it_writes(tmp_path):
    # the key=value form written as JSON whose value the config field rejects: no fix
    assert _fixes(tmp_path / "a", "0.9.2", "--kv-transfer-config kv_connector_module_path=1") is None
    assert _fixes(tmp_path / "b", "0.9.2", "--limit-mm-per-prompt image=3") == \
        "vllm serve org/model --limit-mm-per-prompt '{\"image\":3}'"
    # --enable-reasoning alone is no --reasoning-parser alone
    assert _fixes(tmp_path / "c", "0.9.2", "--enable-reasoning") is None
    # a rename keeps the dotted key and the negation
    assert _fixes(tmp_path / "d", "0.11.0", "--override-pooler-config.normalize true") == \
        "vllm serve org/model --pooler-config.normalize true"
    assert _fixes(tmp_path / "e", "0.11.0", "--override-pooler-config.normalize x") is None


def test_quantization_none_is_no_quantization(tmp_path):
    """The differential test's engine run: vLLM's parser reads `--quantization None` as no quantization."""
    config = '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, ' \
             '"num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 1024, ' \
             '"max_position_embeddings": 4096}'
    files = {"model/config.json": config, "run.sh": "pip install vllm==0.11.0\nvllm serve ./model --quantization None\n"}
    assert [f.code for f in lint(tmp_path, files, select=["VLL302"]).findings] == []
    files["run.sh"] = "pip install vllm==0.11.0\nvllm serve ./model --quantization awq\n"
    assert [f.code for f in lint(tmp_path, files, select=["VLL302"]).findings] == ["VLL302"]
