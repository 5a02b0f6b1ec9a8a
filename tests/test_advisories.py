"""Known vLLM issues (knowledge/vllm/advisories.yaml) and VLL501 known-issue.

The table-driven tests build, from each advisory's own data, a launch it describes (a witness of its ``when``) and
check that the predicate fires on an affected release, stays quiet on the release that fixed it, with the
workaround applied, and on a variant that breaks one of its conditions."""
from __future__ import annotations

import copy
import json
import re

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO, codes, lint

from vllm_lint.cli import main
from vllm_lint.config import Settings
from vllm_lint.vllm import advisories as db
from vllm_lint.vllm.options import known_versions, options_table, version_key
from vllm_lint.vllm.release import published_releases

KNOWLEDGE = REPO / "knowledge"
ADVISORIES = db.advisories()


def test_schema_and_sources():
    import jsonschema

    data = yaml.safe_load((KNOWLEDGE / "vllm" / "advisories.yaml").read_text())
    jsonschema.validate(data, json.loads((KNOWLEDGE / "schemas" / "vllm_advisories.schema.json").read_text()))
    ids = [a["id"] for a in data["advisories"]]
    assert len(ids) == len(set(ids)) >= 40
    assert not set(ids) & set(data["dropped"])
    for a in data["advisories"]:
        assert any(link.startswith("https://github.com/vllm-project/vllm/") for link in a["links"]), a["id"]


def _flags_in(when):
    for flag in (when.get("options") or {}):
        yield flag.split(".", 1)[0]
    for sub in when.get("any") or ():
        yield from _flags_in(sub)


@pytest.mark.parametrize("adv", ADVISORIES, ids=lambda a: a.id)
def test_options_exist_in_the_affected_releases(adv):
    """Every option a predicate or a workaround names is an option of some covered release of its range."""
    table = options_table()
    versions = {}
    for rec in table["options"]:
        for flag in rec["flags"]:
            versions.setdefault(flag, []).extend(rec["in"])
    work = adv.workaround
    for flag in {*_flags_in(adv.when), *(work.get("set_options") or {}), *(work.get("remove_options") or ())}:
        assert flag in versions, (adv.id, flag)
        ranges = versions[flag]
        assert any(_overlaps(adv, lo, hi) for lo, hi in ranges), (adv.id, flag, ranges)


def _overlaps(adv, lo, hi):
    for r in adv.affected:
        start = version_key(r["introduced"] or "0.0.1")
        end = version_key(r["fixed"]) if r["fixed"] else None
        if version_key(hi) >= start and (end is None or version_key(lo) < end):
            return True
    return False


# ----------------------------------------------------------------------------- witnesses


class FakeGpu:
    def __init__(self, cc, consumer):
        self.compute_capability = cc
        self.name = "NVIDIA GeForce RTX test" if consumer else "NVIDIA test GPU"


def _satisfy(cond):
    """(present, value) that holds ``cond``."""
    if not isinstance(cond, dict):
        return True, cond
    if cond.get("present") is False:
        return False, None
    if "eq" in cond:
        return True, cond["eq"]
    if "in" in cond:
        return True, cond["in"][0]
    lo = cond.get("ge", cond.get("gt"))
    hi = cond.get("lt", cond.get("le"))
    if lo is not None:
        value = lo if "ge" in cond else lo + 0.5
        if cond.get("ne") == value:
            value += 1
        return True, value
    if hi is not None:
        return True, (hi - 0.5 if "lt" in cond else hi)
    if "not_in" in cond or "ne" in cond:
        return (cond.get("present", False), "witness-value") if cond.get("present") else (False, None)
    return True, "witness-value"


def _branch(when, work):
    """For ``any``: the sub-predicate the workaround speaks to (else the first)."""
    keys = {*(work.get("set_options") or {}), *(work.get("remove_options") or ()), *(work.get("set_env") or {}),
            *(work.get("remove_env") or ())}
    for sub in when["any"]:
        if keys & {*(sub.get("options") or {}), *(sub.get("env") or {})}:
            return sub
    return when["any"][0]


def witness(adv, release):
    when = adv.when
    options, env = {}, {}
    parts = [when] + ([_branch(when, adv.workaround)] if "any" in when else [])
    for part in parts:
        for flag, cond in (part.get("options") or {}).items():
            options[flag] = _satisfy(cond)
        for name, cond in (part.get("env") or {}).items():
            present, value = _satisfy(cond)
            if present:
                env[name] = str(value)
    m = when.get("model") or {}
    model = None
    if "model" in when:
        arch = _satisfy(m["architectures"])[1] if "architectures" in m else "LlamaForCausalLM"
        experts = _satisfy(m["experts"])[1] if "experts" in m else (8 if m.get("moe") else None)
        per_gpu = _satisfy(m["expert_intermediate_per_gpu"])[1] if "expert_intermediate_per_gpu" in m else None
        quant_present, quant = _satisfy(m["quantization"]) if "quantization" in m else (False, None)
        model = db.ModelFacts(architectures=[arch], quantization=quant if quant_present else None,
                              weight_format=_satisfy(m["weight_format"])[1] if "weight_format" in m else "none",
                              hybrid=(None if m.get("hybrid") is None else "gated-deltanet" if m["hybrid"] == "any" else m["hybrid"]),
                              moe=bool(m.get("moe") or experts), multimodal=bool(m.get("multimodal")),
                              experts=experts, expert_intermediate=per_gpu, torch_dtype=None)
    gpus = None
    if "gpu" in when:
        cc = _satisfy(when["gpu"].get("compute_capability", 8.0))[1]
        gpus = [FakeGpu(round(cc, 1), when["gpu"].get("consumer", False))]
    facts = dict(release=release, options=options, env=env, model=model, gpus=gpus, platform=when.get("platform"),
                 install=_satisfy(when["install"])[1] if "install" in when else "official-image")
    return facts


def evaluate(facts):
    options = facts["options"]

    def option(flag):
        present, value = options.get(flag, (False, None))
        return db.OptionValue(True, present, value)

    f = db.Facts(release=facts["release"], option=option, env=facts["env"], model=facts["model"], gpus=facts["gpus"],
                 platform=facts["platform"], install=facts["install"], tensor_parallel=1)
    return db.evaluate(facts["when"], f) if "when" in facts else None


def _affected_release(adv):
    for v in published_releases():
        if version_key(v) >= version_key("0.6.0") and db.affects(adv, v):
            return v
    raise AssertionError(adv.id)


def _verdict(adv, facts):
    facts = dict(facts, when=adv.when)
    return evaluate(facts)


def _actionable(work):
    return any(work.get(k) for k in ("set_options", "remove_options", "set_env", "remove_env"))


def _apply(facts, work):
    facts = copy.deepcopy(facts)
    for flag, value in (work.get("set_options") or {}).items():
        facts["options"][flag] = (True, value)
    for flag in work.get("remove_options") or ():
        for key in list(facts["options"]):
            if key.split(".", 1)[0] == flag:
                facts["options"][key] = (False, None)
    for name, value in (work.get("set_env") or {}).items():
        facts["env"][name] = value
    for name in work.get("remove_env") or ():
        facts["env"].pop(name, None)
    return facts


def _variant(adv, facts):
    """The witness with one condition broken: another GPU, another model, the option at another value."""
    facts = copy.deepcopy(facts)
    when = adv.when
    if "gpu" in when:
        cc = facts["gpus"][0].compute_capability
        facts["gpus"] = [FakeGpu(5.0 if cc >= 8.0 else 9.0, not when["gpu"].get("consumer", False))]
    elif "model" in when:
        facts["model"] = db.ModelFacts(["OtherForCausalLM"], None, "none", None, False, False, None, None, None)
    elif "platform" in when:
        facts["platform"] = "linux"
    elif when.get("env"):
        name, cond = next(iter(when["env"].items()))
        facts["env"][name] = "definitely-not-" + str(_satisfy(cond)[1]) if _satisfy(cond)[0] else "0"
    else:
        flag, cond = next(iter(when["options"].items()))
        present, value = _satisfy(cond)
        facts["options"][flag] = (False, None) if present else (True, "other")
    return facts


@pytest.mark.parametrize("adv", ADVISORIES, ids=lambda a: a.id)
def test_fires_on_the_launch_it_describes(adv):
    release = _affected_release(adv)
    assert _verdict(adv, witness(adv, release)).fires, (adv.id, release)


@pytest.mark.parametrize("adv", ADVISORIES, ids=lambda a: a.id)
def test_quiet_on_the_fixed_release_the_workaround_and_a_good_variant(adv):
    release = _affected_release(adv)
    facts = witness(adv, release)
    checked = 0
    for r in adv.affected:
        if r["fixed"]:
            assert not db.affects(adv, r["fixed"]), (adv.id, r["fixed"])
            checked += 1
    if _actionable(adv.workaround):
        assert not _verdict(adv, _apply(facts, adv.workaround)).fires, (adv.id, "workaround")
        checked += 1
    assert not _verdict(adv, _variant(adv, facts)).fires, (adv.id, "variant")
    assert checked or adv.id in QUIET_ONLY_ON_VARIANTS, adv.id


#: No fix known and no workaround that is options or variables: only the good variants stay quiet.
QUIET_ONLY_ON_VARIANTS = {"VLLA-2026-0001", "VLLA-2026-0016", "VLLA-2026-0017", "VLLA-2026-0019"}


def test_most_advisories_are_quiet_on_a_fix_or_workaround():
    quiet = [a for a in ADVISORIES if any(r["fixed"] for r in a.affected) or _actionable(a.workaround)]
    assert len(quiet) >= 35


# ----------------------------------------------------------------------------- predicate kinds, end to end


def _settings(tmp_path, hardware=None, **rules):
    return Settings(root=tmp_path, offline=True, hardware=hardware, rules={"known-issue": rules} if rules else {})


def _ids(result):
    return [f.message.split(":", 1)[0] for f in result.findings if f.code == "VLL501"]


def test_option_values_and_defaults(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """
        services:
          pp:
            image: vllm/vllm-openai:v0.11.0
            command: ["Qwen/Qwen3-8B", "--async-scheduling", "--pipeline-parallel-size", "2"]
          pp-fixed:
            image: vllm/vllm-openai:v0.15.0
            command: ["Qwen/Qwen3-8B", "--async-scheduling", "--pipeline-parallel-size", "2"]
          pp-default:
            image: vllm/vllm-openai:v0.11.0
            command: ["Qwen/Qwen3-8B", "--pipeline-parallel-size", "2"]
    """}, select=["VLL501"])
    assert _ids(result) == ["VLLA-2026-0038"]
    assert result.findings[0].severity == "error" and "0.11.0" in result.findings[0].message


def test_json_sub_key(tmp_path):
    files = {"run.sh": """
        pip install vllm==0.9.2
        vllm serve meta-llama/Llama-3.1-8B-Instruct --kv-cache-dtype fp8 \\
          --speculative-config '{"method": "eagle3", "model": "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B"}'
        vllm serve meta-llama/Llama-3.1-8B-Instruct --kv-cache-dtype fp8 --speculative-config.method eagle3
        vllm serve meta-llama/Llama-3.1-8B-Instruct --kv-cache-dtype fp8 --speculative-config.method ngram
    """}
    assert _ids(lint(tmp_path, files, select=["VLL501"])) == ["VLLA-2026-0009", "VLLA-2026-0009"]


def test_env_predicate_and_env_fix(tmp_path):
    files = {"compose.yaml": """
        services:
          v0:
            image: vllm/vllm-openai:v0.11.0
            environment:
              VLLM_USE_V1: "0"
            command: ["Qwen/Qwen3-8B"]
    """}
    result = lint(tmp_path, files, select=["VLL501"])
    assert _ids(result) == ["VLLA-2026-0051"]
    fix = result.findings[0].fix
    assert fix is not None and not fix.safe and fix.edits[0].replacement == "1"


def test_model_and_gpu_predicates_with_the_skip_note(tmp_path):
    files = {"compose.yaml": """
        services:
          qwen35:
            image: vllm/vllm-openai:v0.25.0
            command: ["Qwen/Qwen3.5-27B", "--tensor-parallel-size", "2"]
    """}
    no_gpu = lint(tmp_path, files, select=["VLL501"])
    assert _ids(no_gpu) == []
    assert any(n.startswith("skipped parts of VLL501: ") and re.search(r"no GPU known \([^)]*\) \([^)]*VLLA-2026-0004", n)
               for n in no_gpu.notes), no_gpu.notes
    hopper = lint(tmp_path, select=["VLL501"], settings=_settings(tmp_path, "h100-sxm"))
    assert _ids(hopper) == ["VLLA-2026-0004"]
    ada = lint(tmp_path, select=["VLL501"], settings=_settings(tmp_path, "rtx-4090"))
    assert _ids(ada) == []  # another GPU: quiet


def test_install_kinds(tmp_path):
    """VLLA-2026-0007 (FlashInfer sampler JIT with an old toolkit) is about host installs, not the official image."""
    files = {"run.sh": "pip install vllm==0.25.0\nvllm serve Qwen/Qwen3-8B\n",
             "compose.yaml": """
        services:
          image:
            image: vllm/vllm-openai:v0.25.0
            command: ["Qwen/Qwen3-8B"]
    """}
    result = lint(tmp_path, files, select=["VLL501"], settings=_settings(tmp_path, "rtx-5090"))
    found = [(f.span.path, f.message.split(":", 1)[0]) for f in result.findings]
    assert [f for f in found if f[1] == "VLLA-2026-0007"] == [("run.sh", "VLLA-2026-0007")]
    assert sorted(f for f in found if f[1] == "VLLA-2026-0006") == [("compose.yaml", "VLLA-2026-0006"),
                                                                   ("run.sh", "VLLA-2026-0006")]


def test_platform_from_the_configuration(tmp_path):
    files = {"compose.yaml": """
        services:
          tp:
            image: vllm/vllm-openai:v0.19.0
            command: ["Qwen/Qwen3-8B", "--tensor-parallel-size", "2"]
    """}
    assert _ids(lint(tmp_path, files, select=["VLL501"])) == []
    result = lint(tmp_path, select=["VLL501"], settings=_settings(tmp_path, platform="wsl2-docker-desktop"))
    assert _ids(result) == ["VLLA-2026-0001"]


def test_assumed_release_caps_the_severity(tmp_path):
    files = {"compose.yaml": """
        services:
          xx:
            image: vllm/vllm-openai:latest
            command: ["Qwen/Qwen3-8B", "--prefix-caching-hash-algo", "xxhash"]
    """}
    result = lint(tmp_path, files, select=["VLL501"])
    assert _ids(result) == ["VLLA-2026-0020"] and result.findings[0].severity == "warning"
    assert "assumed" in result.findings[0].message


def test_workaround_fixes_are_applied_and_quiet_the_advisory(tmp_path):
    from vllm_lint.engine import check, load_project, select_rules
    from vllm_lint.fixes.apply import fix_run

    files = {"compose.yaml": """
        services:
          qwen35:
            image: vllm/vllm-openai:v0.25.0
            command: ["Qwen/Qwen3.5-27B", "--tensor-parallel-size", "2"]
          pp:
            image: vllm/vllm-openai:v0.11.0
            command: >
              Qwen/Qwen3-8B --async-scheduling --pipeline-parallel-size 2
    """}
    lint(tmp_path, files)
    settings = _settings(tmp_path, "h100-sxm")

    def again():
        return check(load_project([tmp_path], settings, cwd=tmp_path), select_rules(settings, ["VLL501"]))

    _, changes, errors = fix_run(again, unsafe=True, write=True)
    assert not errors and changes
    text = (tmp_path / "compose.yaml").read_text()
    assert '"--tensor-parallel-size", "2", "--gdn-prefill-backend", "triton"]' in text
    assert "Qwen/Qwen3-8B --pipeline-parallel-size 2" in text
    assert _ids(again()) == []


def test_a_fix_is_checked_against_the_release(tmp_path, monkeypatch):
    """A workaround whose value the release's parser rejects is offered as no fix at all."""
    base = db.advisory("VLLA-2026-0004").data
    broken = db.Advisory({**base, "workaround": {"text": "x" * 10, "set_options": {"--gdn-prefill-backend": "bogus"}}})
    monkeypatch.setattr(db, "advisories", lambda: (broken,))
    files = {"compose.yaml": """
        services:
          qwen35:
            image: vllm/vllm-openai:v0.25.0
            command: ["Qwen/Qwen3.5-27B"]
    """}
    result = lint(tmp_path, files, select=["VLL501"], settings=_settings(tmp_path, "h100-sxm"))
    assert _ids(result) == ["VLLA-2026-0004"] and result.findings[0].fix is None


def test_explain_an_advisory():
    out = CliRunner().invoke(main, ["explain", "VLLA-2026-0007"])
    assert out.exit_code == 0
    assert out.output.startswith("# VLLA-2026-0007 ")
    assert "VLLM_USE_FLASHINFER_SAMPLER=0" in out.output and "https://github.com/vllm-project/vllm/issues/42393" in out.output
    missing = CliRunner().invoke(main, ["explain", "VLLA-2026-9999"])
    assert missing.exit_code == 2


def test_rules_lists_the_new_rules():
    out = CliRunner().invoke(main, ["rules"]).output
    for code in ("VLL209", "VLL501", "VLL502", "VLL503", "VLL504"):
        assert re.search(rf"^{code}\s", out, re.M), code
