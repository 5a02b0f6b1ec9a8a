"""A ``--lora-modules`` adapter that the launch's LoRA settings refuse.

## What it does
Reads each adapter's ``adapter_config.json`` where the linter can: a folder on the serving host for scripts, or the
host side of the volume that mounts it for compose, Kubernetes and ``docker run`` (an adapter given as a Hub id
is not fetched). Against the pinned release's checks (``knowledge/vllm/startup_checks.yaml``):

- the adapter's rank ``r`` above ``--max-lora-rank`` (default 16): "LoRA rank 64 is greater than max_lora_rank
  16." (``PEFTHelper.validate_legal``, ``vllm/lora/peft_helper.py:121`` in 0.11.0);
- DoRA adapters (``use_dora``): "vLLM does not yet support DoRA."; ``modules_to_save``: "vLLM only supports
  modules_to_save being None." (``PEFTHelper._validate_features``; from 0.33.0 only ``classifier`` / ``score``
  are accepted, for classification models);
- ``--max-cpu-loras`` below ``--max-loras``: "max_cpu_loras (1) must be >= max_loras (2)" (``LoRAConfig``).

Target modules are not checked: which modules an architecture supports is in each model's code. More adapters
than ``--max-cpu-loras`` is not reported either: the CPU cache evicts the least recently used one
(``LRUCacheWorkerLoRAManager``, ``vllm/lora/worker_manager.py:255`` in 0.11.0).

## Why is this bad?
From 0.7.0 vLLM loads every ``--lora-modules`` adapter at start-up and stops when one is refused
(``OpenAIServingModels.init_static_loras``: "Raises if any fail to load"); before, every request for it fails.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-8B", "--enable-lora", "--lora-modules", "sql=/adapters/sql"]
    volumes: ["./adapters:/adapters"]   # ./adapters/sql/adapter_config.json says "r": 64
```

## Fix
``--max-lora-rank`` of at least the adapter's rank, among the values the release accepts (the fix writes the
smallest; more rank reserves more memory for every adapter slot); merge a DoRA adapter into the weights.
"""
import json
from pathlib import Path

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.fixes.insert import add_args
from vllm_lint.vllm.startup_checks import data, fact, source_in

CODE = "VLL314"
NAME = "lora-adapters"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release",)

_MAX_CONFIG_BYTES = 1 << 20


def check(deployment, ctx):
    release = ctx.release
    version = release.name
    facts = data()["lora"]
    max_loras, max_cpu = deployment.number("max-loras", int), deployment.number("max-cpu-loras", int)
    if max_loras is not None and max_cpu is not None and max_cpu < max_loras:
        arg = deployment.arg("max-cpu-loras")
        message = facts["cpu_loras"]["message"].format(max_cpu_loras=max_cpu, max_loras=max_loras)
        yield ctx.finding(arg.value_or_flag_span, f"vLLM {version} stops with \"{message}\" "
                          f"({source_in(facts['cpu_loras']['source'], version)})",
                          hint=f"--max-cpu-loras {max_loras} or more, or remove it (it defaults to --max-loras)")
    rank_arg = deployment.arg("max-lora-rank")
    if rank_arg is not None and (not rank_arg.value or any(v.value is None for v in rank_arg.variables)):
        return
    max_rank = deployment.number("max-lora-rank", int) if rank_arg is not None else _default_rank(release)
    if max_rank is None:
        return
    at_start = fact(facts["static_at_start"], version) is not None
    when = "stops at start-up" if at_start else "refuses the adapter on its first request"
    for arg in deployment.all("lora-modules"):
        if any(v.value is None for v in arg.variables):
            continue
        for name, path in _modules(arg):
            config = _adapter_config(deployment, path)
            if config is None:
                continue
            found = _features(config, version)
            problems = [message for message, _ in found]
            where = found[0][1] if found else facts["rank"]["source"]
            rank = config.get("r")
            fix, hint = None, "merge the adapter into the weights, or retrain it without the refused feature"
            if isinstance(rank, int) and not isinstance(rank, bool) and rank > max_rank:
                problems.insert(0, facts["rank"]["message"].format(r=rank, max_lora_rank=max_rank))
                where = facts["rank"]["source"]
                value = _fitting_rank(rank, version)
                hint = f"--max-lora-rank {value or rank} (a larger rank reserves more memory for every adapter slot)"
                if value is not None:
                    edits = replace_value(rank_arg, str(value)) if rank_arg is not None else \
                        add_args(deployment, ["--max-lora-rank", str(value)], ctx.source(deployment.path))
                    fix = Fix(f"use --max-lora-rank {value}", edits, safe=False) if edits else None
            if not problems:
                continue
            yield ctx.finding(arg.value_or_flag_span, f"LoRA adapter {name} ({path}): vLLM {version} {when} with "
                              f"\"{' '.join(problems)}\" ({source_in(where, version)})",
                              hint=hint, fix=fix)


def _default_rank(release) -> int | None:
    for option in release.options():
        if option.dest == "max_lora_rank" and isinstance(option.default, int):
            return option.default
    return None


def _modules(arg) -> list[tuple[str, str]]:
    """(name, path) of each adapter of one ``--lora-modules``: ``name=path`` or the JSON form."""
    values = [arg.value] if arg.inline else [w.value for w in arg.words[1:]]
    out = []
    for value in values:
        text = (value or "").strip()
        if text.startswith("{"):
            try:
                item = json.loads(text)
            except ValueError:
                continue
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                out.append((str(item.get("name") or "?"), item["path"]))
        elif "=" in text:
            name, path = text.split("=", 1)
            out.append((name, path))
    return out


def _adapter_config(deployment, path: str) -> dict | None:
    """adapter_config.json of the adapter at ``path`` (in the container, or on the host for a script), if readable."""
    if not path.startswith("/"):
        return None  # a Hub id or a path relative to the server's working directory
    if deployment.kind in ("compose", "kubernetes", "docker-run"):
        host = deployment.host_path(path)
        if not isinstance(host, Path):
            return None
    else:
        host = Path(path)
    from vllm_lint.sources.source_file import UnreadableFile, read_text

    candidate = host / "adapter_config.json"
    try:
        if not candidate.is_file() or candidate.stat().st_size > _MAX_CONFIG_BYTES:
            return None
        config = json.loads(read_text(candidate))
    except (OSError, UnreadableFile, ValueError):
        return None
    return config if isinstance(config, dict) else None


def _features(config: dict, version: str) -> list[tuple[str, str]]:
    """(vLLM's message, its source) for each adapter feature the release refuses."""
    facts = data()["lora"]
    problems = []
    saved = config.get("modules_to_save")
    rule = fact(facts["modules_to_save"], version)
    if rule is not None and isinstance(saved, list) and [m for m in saved if m not in rule["allowed"]]:
        problems.append((rule["message"], rule["source"]))
    dora = fact(facts["dora"], version)
    if dora is not None and config.get("use_dora") is True:
        problems.append((dora["message"], dora["source"]))
    return problems


def _fitting_rank(rank: int, version: str) -> int | None:
    """The smallest --max-lora-rank the release accepts that holds ``rank``."""
    ranks = fact(data()["lora"]["max_ranks"], version)
    fitting = [r for r in (ranks or {}).get("ranks", ()) if r >= rank]
    return fitting[0] if fitting else None
