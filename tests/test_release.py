"""vllm_lint.vllm.release: the per-release ``vllm serve`` tables and the parser emulation.

The ground truth is ``tests/data/parser_verdicts/<version>.json``: command lines that were
run through each release's REAL parser by ``knowledge/tools/dump_vllm_cli.py`` (and the
values its type functions gave for sample strings). The emulation must agree with every
accept/reject verdict.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from packaging.version import Version
from vllm_lint.vllm.options import cli_index, options_table, known_versions, newest_version
from vllm_lint.vllm.release import load_covered, load_release

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / "knowledge" / "vllm" / "cli"
SCHEMA = REPO / "knowledge" / "schemas" / "vllm_cli.schema.json"
VERDICTS = Path(__file__).resolve().parent / "data" / "parser_verdicts"
VERDICT_FILES = sorted(VERDICTS.glob("*.json"), key=lambda p: Version(p.stem))


def _norm(msg: str | None) -> str:
    return re.sub(r"0x[0-9a-f.]+", "0x…", msg or "")


# ---------------------------------------------------------------------------- data files


def test_data_files_match_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    files = sorted(CLI.glob("*.json"))
    assert {f.name for f in files} >= {"index.json", "options.json"}
    for f in files:
        jsonschema.validate(json.loads(f.read_text()), schema)


def test_data_is_small():
    total = sum(p.stat().st_size for p in CLI.iterdir() if p.is_file())
    assert total < 1.5 * 1024 * 1024


def test_index_and_table_agree():
    index = json.loads((CLI / "index.json").read_text())
    table = json.loads((CLI / "options.json").read_text())
    versions = [r["version"] for r in index["releases"]]
    assert versions == table["releases"] == known_versions()
    for r in index["releases"]:
        assert r["obtained"] in ("import", "import-with-stubs", "static")
        assert (r["obtained"] == "import-with-stubs") == bool(r["stubs"])
    pos = {v: i for i, v in enumerate(versions)}
    for n, rec in enumerate(table["options"]):
        members = {v for v, ids in table["order"].items() if n in ids}
        spanned = {v for a, b in rec["in"] for v in versions[pos[a]:pos[b] + 1]}
        assert members == spanned, rec["flags"]


def test_every_release_has_verdicts():
    assert {p.stem for p in VERDICT_FILES} == set(known_versions())


# --------------------------------------------------------------------------------- API


def test_versions():
    vs = known_versions()
    assert vs == sorted(vs, key=Version)
    assert {"0.6.4.post1", "0.9.2", "0.11.0"} <= set(vs)
    assert newest_version() == vs[-1]


def test_load_release_exact_and_nearest():
    r = load_release("0.9.2")
    assert (r.version, r.requested) == ("0.9.2", "0.9.2")
    assert r.obtained in ("import", "import-with-stubs", "static")
    r = load_release("0.9.1")
    assert r.version in known_versions() and Version(r.version) <= Version("0.9.1")
    assert r.requested == "0.9.1"
    r = load_release("0.11.1")
    assert r.version == "0.11.0"
    assert load_release("99.0").version == newest_version()
    with pytest.raises(KeyError):
        load_release("0.5.5")


def test_load_is_fast():
    cli_index.cache_clear()
    options_table.cache_clear()
    load_covered.cache_clear()
    known_versions.cache_clear()
    t = time.perf_counter()
    r = load_release(newest_version())
    r.option("--max-model-len")
    assert time.perf_counter() - t < 0.25  # < 50 ms on a quiet machine; generous for CI


def test_option_resolution():
    r = load_release("0.11.0")
    o = r.option("--rope-scaling")
    assert o is not None and o.canonical == "--rope-scaling"
    assert r.option("--rope_scaling") == o
    assert r.option("--no-enable-prefix-caching").dest == "enable_prefix_caching"
    assert r.option("--limit-mm-per-prompt.image").dest == "limit_mm_per_prompt"
    assert r.option("--bogus-flag") is None
    # serve takes the model positionally; in 0.11.0 `--model` is only an ambiguous prefix
    assert r.option("--model") is None
    assert load_release("0.6.4.post1").option("--model").dest == "model"
    new = load_release(newest_version())  # `--model X` is moved to the positional model
    assert new.option("--model").dest == "model_tag" and new.option("--model").deprecated
    assert new.takes_value("--model") and new.check_value("--model", "org/m") is None
    assert r.option("-tp").dest == "tensor_parallel_size"
    assert r.option("--tensor-parallel").dest == "tensor_parallel_size"  # unambiguous prefix
    assert r.takes_value("--max-model-len") and not r.takes_value("--enforce-eager")
    assert r.takes_value("--limit-mm-per-prompt.image")
    assert not r.takes_value("--max-model-len=4096")
    assert not r.takes_value("-O3") and r.option("-O3").dest == "compilation_config"
    assert not r.takes_value("-qawq") and r.takes_value("-q")
    assert r.option("--enable-prefix") is not None  # unique prefix: argparse accepts it
    assert r.option("--disable-log") is None        # ambiguous prefix: argparse rejects it
    old = load_release("0.6.4.post1")
    assert old.option("--limit-mm-per-prompt.image") is None  # no dotted JSON args yet
    assert old.option("--rope_scaling").dest == "rope_scaling"


def test_check_value_messages():
    r = load_release("0.11.0")
    assert r.check_value("--mm-encoder-tp-mode", "data") is None
    assert r.check_value("--mm-encoder-tp-mode", "replicate") == (
        "argument --mm-encoder-tp-mode: invalid choice: 'replicate' (choose from 'data', 'weights')")
    assert r.check_value("--tensor-parallel-size", "two") == "argument --tensor-parallel-size/-tp: invalid int value: 'two'"
    assert r.check_value("--enforce-eager", None) is None
    # a flag followed by a word: the word is left over
    assert r.check_value("--enforce-eager", "true") == "unrecognized arguments: true"
    assert r.parse(["--enforce-eager=true"]).error == (
        "argument --enforce-eager/--no-enforce-eager: ignored explicit argument 'true'")


def test_suggest_and_history():
    r = load_release("0.11.0")
    assert "--max-model-len" in r.suggest("--max-modle-len")
    new = load_release(newest_version())
    if new.option("--enable-reasoning") is None:
        h = new.history("--enable-reasoning")
        assert h and h.startswith(("removed in", "renamed to"))
    old = load_release("0.6.0")
    if old.option("--async-scheduling") is None:
        assert old.history("--async-scheduling").startswith("added in")
    assert r.history("--max-model-len") is None


# ------------------------------------------------------------------- real-parser verdicts


def _verdict_mismatches(path: Path) -> list[str]:
    doc = json.loads(path.read_text())
    rel = load_release(doc["version"])
    assert rel.version == doc["version"]
    bad = []
    for argv, want in doc["cases"]:
        got = rel.parse(argv, model=doc["model"])
        if got.ok != want["ok"]:
            bad.append(f"{argv}: real={'accept' if want['ok'] else 'reject: ' + want['error']} "
                       f"emulated={'accept' if got.ok else 'reject: ' + str(got.error)}")
        elif not got.ok and want.get("by") == "argparse" and got.by == "argparse":
            if "validation error" not in want["error"] and _norm(got.error) != _norm(want["error"]):
                bad.append(f"{argv}: message real={want['error']!r} emulated={got.error!r}")
        elif got.ok:
            for dest, val in want["values"].items():
                if isinstance(val, dict) and "$elided" in val:
                    continue
                opt = next((o for o in rel.options() if o.dest == dest), None)
                if opt is None or opt.type.replace("optional-", "").startswith("json-config") or \
                        opt.action.startswith("lora") or (opt.conv or {}).get("k") == "custom":
                    continue  # parsed into vLLM objects: only the verdict is compared
                if dest in got.values and json.loads(json.dumps(got.values[dest])) != val:
                    bad.append(f"{argv}: {dest} real={val!r} emulated={got.values[dest]!r}")
    for flag, bits in doc["type_probes"].items():
        for sample, bit in zip(doc["type_samples"], bits):
            if bit == "-":
                continue  # the real type function raised something argparse does not handle
            err = rel.check_value(flag, sample)
            if (err is None) != (bit == "1"):
                bad.append(f"type probe {flag} {sample!r}: real={'accept' if bit == '1' else 'reject'} "
                           f"emulated={err or 'accept'}")
    return bad


@pytest.mark.parametrize("path", VERDICT_FILES, ids=lambda p: p.stem)
def test_emulation_matches_real_parser(path):
    bad = _verdict_mismatches(path)
    assert not bad, f"{len(bad)} disagreement(s):\n" + "\n".join(bad[:40])
