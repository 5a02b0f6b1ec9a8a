"""Known vLLM issues (``knowledge/vllm/advisories.yaml``) and whether one applies to a launch.

In: an advisory and the :class:`Facts` of a launch (its release, what its options resolve to in that release, its
environment, its model's config, its GPUs, the platform and how vLLM is installed). Out: a :class:`Verdict` —
``match``, ``no``, or ``unknown`` with what was missing (no GPU known, no model metadata, no platform): an entry
whose predicate needs a fact nobody knows never fires, and the rule says which facts were missing.

The predicate language (``when``) is described at the top of the YAML file; :func:`evaluate` is its only reader.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.vllm.options import version_key

__all__ = ["Advisory", "Facts", "ModelFacts", "Verdict", "advisories", "advisory", "affecting", "affects", "evaluate",
           "model_facts", "range_words"]

MATCH, NO, UNKNOWN = "match", "no", "unknown"


@dataclass(frozen=True)
class Advisory:
    data: dict

    @property
    def id(self) -> str:
        return self.data["id"]

    def __getattr__(self, name):  # title, family, severity, symptom, workaround, links, notes ...
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None


@functools.lru_cache(maxsize=1)
def advisories() -> tuple[Advisory, ...]:
    return tuple(Advisory(a) for a in load_knowledge("vllm/advisories.yaml")["advisories"])


def advisory(ident: str) -> Advisory | None:
    key = ident.strip().upper()
    return next((a for a in advisories() if a.id == key), None)


_AFFECTING: dict[tuple[int, str], tuple] = {}


def affecting(release: str) -> tuple[Advisory, ...]:
    """The advisories whose ranges hold ``release``, in the database's order (worked out once per release)."""
    every = advisories()
    hit = _AFFECTING.get((id(every), release))
    if hit is None or hit[0] is not every:
        hit = _AFFECTING[(id(every), release)] = (every, tuple(adv for adv in every if affects(adv, release)))
    return hit[1]


def affects(adv: Advisory, release: str) -> bool:
    """Whether ``release`` lies in one of the advisory's [introduced, fixed) ranges."""
    key = version_key(release)
    for r in adv.affected:
        if r["introduced"] is not None and key < version_key(r["introduced"]):
            continue
        if r["fixed"] is not None and key >= version_key(r["fixed"]):
            continue
        return True
    return False


def range_words(adv: Advisory) -> str:
    parts = []
    for r in adv.affected:
        lo, hi = r["introduced"], r["fixed"]
        if lo and hi:
            parts.append(f"{lo} to before {hi} (fixed in {hi})")
        elif lo:
            parts.append(f"{lo} and later, no fix known")
        elif hi:
            parts.append(f"releases before {hi} (fixed in {hi})")
        else:
            parts.append("every release known, no fix known")
    return "; ".join(parts)


@dataclass
class ModelFacts:
    architectures: list[str]
    quantization: str | None
    weight_format: str
    hybrid: str | None  # "gated-deltanet", "mamba" or None
    moe: bool
    multimodal: bool
    experts: int | None
    expert_intermediate: int | None
    torch_dtype: str | None


@dataclass
class OptionValue:
    known: bool  # False: set at run time
    present: bool  # written on the command line or in the --config file
    value: Any  # the value vLLM gets (the release's default when absent)


@dataclass
class Facts:
    release: str
    option: Callable[[str], OptionValue]
    env: dict[str, str | None]  # name -> value (None: set, value known only at run time)
    env_unknown: set[str] = field(default_factory=set)
    model: ModelFacts | None = None
    gpus: list | None = None  # Gpu records, None: not known
    platform: str | None = None  # None: not known
    install: str | None = None  # "official-image", "custom-image", "host"; None: not known
    tensor_parallel: int = 1


@dataclass
class Verdict:
    status: str
    missing: list[str] = field(default_factory=list)
    where: list[tuple[str, str]] = field(default_factory=list)  # ("option", "--flag") / ("env", NAME): what matched

    @property
    def fires(self) -> bool:
        return self.status == MATCH


def _number(x):
    if isinstance(x, bool):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _eq(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return _as_bool(a) == _as_bool(b) if a is not None else b is False
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return a is not None and str(a) == str(b)


def _as_bool(x):
    if isinstance(x, bool):
        return x
    if x is None:
        return False
    return str(x).strip().lower() not in ("", "0", "false", "no", "none")


def holds(cond, value, present: bool = True) -> bool:
    """Whether ``value`` satisfies the condition (a scalar: equality). A list value holds for eq/in when one of its
    items does, for ne/not_in when all do."""
    if isinstance(value, (list, tuple)):
        if isinstance(cond, dict) and any(k in cond for k in ("ne", "not_in")):
            return all(holds(cond, v, present) for v in value) if value else True
        return any(holds(cond, v, present) for v in value)
    if not isinstance(cond, dict):
        return _eq(value, cond)
    for op, want in cond.items():
        if op == "present":
            ok = present == want
        elif op == "eq":
            ok = _eq(value, want)
        elif op == "ne":
            ok = not _eq(value, want)
        elif op == "in":
            ok = any(_eq(value, w) for w in want)
        elif op == "not_in":
            ok = not any(_eq(value, w) for w in want)
        else:
            n = _number(value)
            if n is None:
                ok = False
            else:
                ok = {"gt": n > want, "ge": n >= want, "lt": n < want, "le": n <= want}[op]
        if not ok:
            return False
    return True


def _combine(verdicts: list[Verdict]) -> Verdict:
    if any(v.status == NO for v in verdicts):
        return Verdict(NO)
    missing = [m for v in verdicts for m in v.missing]
    where = [w for v in verdicts for w in v.where]
    return Verdict(UNKNOWN if any(v.status == UNKNOWN for v in verdicts) else MATCH, missing, where)


_NO = Verdict(NO)


def evaluate(when: dict, facts: Facts) -> Verdict:
    """The verdict of a predicate: ``no`` as soon as one part does not hold (whatever the others say), else
    ``unknown`` when a part needs a fact nobody knows, else ``match``."""
    parts: list[Verdict] = []
    for flag, cond in (when.get("options") or {}).items():
        got = facts.option(flag)
        if not got.known:
            parts.append(Verdict(UNKNOWN, [f"{flag} is set at run time"]))
        elif holds(cond, got.value, got.present):
            parts.append(Verdict(MATCH, where=[("option", flag)] if got.present else []))
        else:
            return _NO
    for name, cond in (when.get("env") or {}).items():
        if name in facts.env_unknown:
            parts.append(Verdict(UNKNOWN, [f"{name} is set at run time"]))
            continue
        present = name in facts.env
        value = facts.env.get(name)
        if not holds(cond, value, present):
            return _NO
        parts.append(Verdict(MATCH, where=[("env", name)] if present else []))
    if "model" in when:
        parts.append(_model(when["model"], facts))
    if "gpu" in when:
        parts.append(_gpu(when["gpu"], facts))
    if "platform" in when:
        if facts.platform is None:
            parts.append(Verdict(UNKNOWN, ["the platform is not known (rules: {known-issue: {platform: ...}})"]))
        else:
            parts.append(Verdict(MATCH if facts.platform == when["platform"] else NO))
    if "install" in when:
        if facts.install is None:
            parts.append(Verdict(UNKNOWN, ["how vLLM is installed is not known"]))
        else:
            parts.append(Verdict(MATCH if holds(when["install"], facts.install) else NO))
    if "any" in when:
        subs = [evaluate(p, facts) for p in when["any"]]
        hit = [v for v in subs if v.status == MATCH]
        if hit:
            parts.append(hit[0])
        elif any(v.status == UNKNOWN for v in subs):
            parts.append(Verdict(UNKNOWN, [m for v in subs for m in v.missing]))
        else:
            parts.append(Verdict(NO))
    return _combine(parts)


def _model(cond: dict, facts: Facts) -> Verdict:
    m = facts.model
    if m is None:
        return Verdict(UNKNOWN, ["no model metadata"])
    checks = []
    for key, want in cond.items():
        if key == "architectures":
            checks.append(holds(want, m.architectures))
        elif key == "quantization":
            checks.append(holds(want, m.quantization, m.quantization is not None))
        elif key == "weight_format":
            checks.append(holds(want, m.weight_format))
        elif key == "hybrid":
            checks.append(m.hybrid is not None and (want == "any" or m.hybrid == want))
        elif key == "moe":
            checks.append(m.moe == want)
        elif key == "multimodal":
            checks.append(m.multimodal == want)
        elif key == "experts":
            checks.append(m.experts is not None and holds(want, m.experts))
        elif key == "expert_intermediate_per_gpu":
            per_gpu = m.expert_intermediate // max(1, facts.tensor_parallel) if m.expert_intermediate else None
            checks.append(per_gpu is not None and holds(want, per_gpu))
        elif key == "torch_dtype":
            checks.append(holds(want, m.torch_dtype))
        else:
            checks.append(False)
    return Verdict(MATCH if all(checks) else NO)


def _gpu(cond: dict, facts: Facts) -> Verdict:
    if facts.gpus is None:
        return Verdict(UNKNOWN, ["no GPU known (set hardware: in the configuration, or --gpu)"])
    for gpu in facts.gpus:
        cc = getattr(gpu, "compute_capability", None)
        if cc is None:
            continue  # an AMD card: none of these predicates is about it
        ok = True
        for key, want in cond.items():
            if key == "compute_capability":
                ok = ok and holds(want, round(cc, 1))
            elif key == "consumer":
                ok = ok and (is_consumer(gpu) == want)
        if ok:
            return Verdict(MATCH)
    return Verdict(NO)


def is_consumer(gpu) -> bool:
    """A GeForce card (its product name says so: ``NVIDIA GeForce RTX 4090``)."""
    return "geforce" in (getattr(gpu, "name", "") or "").lower()


# ----------------------------------------------------------------------------- model facts


def _text(meta) -> dict:
    return meta.text_config if isinstance(meta.text_config, dict) else {}


def weight_format(meta, quantization: str | None) -> str:
    """What the checkpoint's weights are stored as: nvfp4, mxfp4, fp8, int4, int8, or none."""
    q = (quantization or "").lower()
    qc = meta.quant_config or {} if meta is not None else {}
    algo = str((qc.get("quantization") or {}).get("quant_algo") or qc.get("quant_algo") or "").upper()
    if q in ("mxfp4", "gpt_oss_mxfp4"):
        return "mxfp4"
    if "NVFP4" in algo or "FP4" in algo or q in ("modelopt_fp4", "nvfp4"):
        return "nvfp4"
    groups = qc.get("config_groups") if isinstance(qc.get("config_groups"), dict) else {}
    for group in groups.values():
        weights = group.get("weights") if isinstance(group, dict) else None
        if isinstance(weights, dict):
            bits, kind = weights.get("num_bits"), str(weights.get("type") or "")
            if bits == 4 and kind == "float":
                return "nvfp4" if weights.get("group_size") == 16 else "mxfp4"
            if bits == 8 and kind == "float":
                return "fp8"
            if bits == 4:
                return "int4"
            if bits == 8:
                return "int8"
    if q in ("fp8", "fbgemm_fp8", "ptpc_fp8") or "FP8" in algo:
        return "fp8"
    if q in ("awq", "awq_marlin", "gptq", "gptq_marlin", "moe_wna16", "auto-round", "bitsandbytes", "gguf"):
        bits = qc.get("bits") or qc.get("w_bit")
        return "int8" if bits == 8 else "int4"
    return "none" if not q else q


def model_facts(meta, quantization_flag: str | None = None) -> ModelFacts:
    text = _text(meta)
    get = text.get
    quant = (quantization_flag or meta.quant_method)
    layer_types = get("layer_types") if isinstance(get("layer_types"), list) else []
    mtype = (meta.model_type or "").lower()
    hybrid = None
    if "linear_attention" in layer_types or mtype in ("qwen3_next", "qwen3_5", "qwen3_5_moe", "qwen3_5_text",
                                                      "qwen3_5_moe_text"):
        hybrid = "gated-deltanet"
    elif get("hybrid_override_pattern") or get("attn_layer_indices") or mtype in (
            "nemotron_h", "jamba", "falcon_h1", "granitemoehybrid", "zamba2", "bamba", "plamo2", "lfm2"):
        hybrid = "mamba"
    experts = int(get("num_experts") or get("n_routed_experts") or get("num_local_experts") or 0) or None
    inter = get("moe_intermediate_size") or (get("intermediate_size") if experts else None)
    return ModelFacts(
        architectures=list(meta.architectures or []),
        quantization=quant.lower() if quant else None,
        weight_format=weight_format(meta, quant),
        hybrid=hybrid,
        moe=bool(experts),
        multimodal=bool(meta.is_multimodal),
        experts=experts,
        expert_intermediate=int(inter) if isinstance(inter, (int, float)) else None,
        torch_dtype=meta.torch_dtype,
    )


def _when_text(when: dict, indent: str = "") -> list[str]:
    lines = []
    for key in ("options", "env"):
        for name, cond in (when.get(key) or {}).items():
            lines.append(f"{indent}- {key[:-1] if key == 'options' else 'env'} {name}: {_cond_text(cond)}")
    for key in ("model", "gpu"):
        for name, cond in (when.get(key) or {}).items():
            lines.append(f"{indent}- {key} {name}: {_cond_text(cond)}")
    for key in ("platform", "install"):
        if key in when:
            lines.append(f"{indent}- {key}: {_cond_text(when[key])}")
    if "any" in when:
        lines.append(f"{indent}- one of:")
        for sub in when["any"]:
            lines += _when_text(sub, indent + "  ")
    return lines


def _cond_text(cond) -> str:
    if not isinstance(cond, dict):
        return str(cond)
    words = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<=", "in": "in", "not_in": "not in",
             "present": "written:"}
    return ", ".join(f"{words[k]} {v}" for k, v in cond.items())


def explain_text(adv: Advisory) -> str:
    """The advisory as ``vllm-lint explain VLLA-...`` prints it."""
    work = adv.workaround
    out = [f"# {adv.id} {adv.title}", "",
           f"family: {adv.family} · severity: {adv.severity} · confidence: {adv.data.get('confidence', '-')}",
           f"affected: {range_words(adv)}", "", "## When", *_when_text(adv.when), "", "## Symptom", adv.symptom, "",
           "## Workaround", work["text"]]
    for flag, value in (work.get("set_options") or {}).items():
        out.append(f"- set {flag}" + ("" if value is True else f" {value}"))
    for flag in work.get("remove_options") or ():
        out.append(f"- remove {flag}")
    for name, value in (work.get("set_env") or {}).items():
        out.append(f"- set {name}={value}")
    for name in work.get("remove_env") or ():
        out.append(f"- unset {name}")
    out += ["", "## Links", *(f"- {link}" for link in adv.links)]
    if adv.data.get("evidence"):
        out += ["", "## In vLLM's sources", *(f"- {e}" for e in adv.data["evidence"])]
    out += ["", "## Notes", adv.notes]
    if adv.data.get("review"):
        out += ["", f"Review: {adv.data['review']}"]
    return "\n".join(out)
