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
- ``--max-cpu-loras`` below ``--max-loras``: "max_cpu_loras (1) must be >= max_loras (2)" (``LoRAConfig``);
- a module the architecture does not take LoRA on: "While loading /adapters/sql, expected target modules in
  [...] but received ['lm_head']." (``LoRAModel.from_local_checkpoint``, ``vllm/lora/models.py:236`` in 0.11.0).
  vLLM compares the tensor names of ``adapter_model.safetensors`` (the linter reads its header; for a ``.bin``
  adapter, or none visible, the config's ``target_modules`` list, which is what vLLM compares up to 0.11.x) with
  the model's LoRA modules: its ``LinearBase`` layers' names, its ``embedding_modules`` and what its
  ``packed_modules_mapping`` packs (``get_supported_lora_modules``, ``vllm/lora/utils.py:185`` in 0.11.0). Those are
  read per architecture and release from vLLM's model files by ``knowledge/tools/build_vllm_lora_modules.py`` into
  ``knowledge/vllm/lora_modules.yaml`` (a superset of what one configuration builds, so it can miss a module,
  never invent one): e.g. Qwen3 takes no LoRA on ``lm_head`` / ``embed_tokens`` before 0.16.0. Expert tensors
  (``.experts.``), the ``target_modules`` of a mixture-of-experts model (a name may be an expert weight), a
  ``target_modules`` regex or ``all-linear``, architectures and releases not in the table are not judged.

More adapters than ``--max-cpu-loras`` (or ``--max-loras`` when it is unset) is not reported: vLLM preloads each
one and, once the CPU cache is full, evicts the least recently used without an error; an evicted adapter is read
from disk again on its next request (``LRUCacheWorkerLoRAManager.add_adapter``, ``vllm/lora/worker_manager.py:258``
in 0.11.0, ``:313`` in 0.33.0).

## Why is this bad?
From 0.7.0 vLLM loads every ``--lora-modules`` adapter at start-up and stops when one is refused
(``OpenAIServingModels.init_static_loras``: "Raises if any fail to load"); before, every request for it fails.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-8B", "--enable-lora", "--lora-modules", "sql=/adapters/sql"]
    volumes: ["./adapters:/adapters"]   # ./adapters/sql/adapter_config.json says "r": 64
    # or, on vllm/vllm-openai:v0.11.0, "target_modules": ["q_proj", "v_proj", "lm_head"]: Qwen3 takes no LoRA on lm_head
```

## Fix
``--max-lora-rank`` of at least the adapter's rank, among the values the release accepts (the fix writes the
smallest; more rank reserves more memory for every adapter slot); merge a DoRA adapter into the weights; retrain
an adapter without the modules the architecture does not take (or use a release that takes them).
"""
import json
import struct
from pathlib import Path

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.fixes.insert import add_args
from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.vllm.startup_checks import data, fact, source_in

CODE = "VLL314"
NAME = "lora-adapters"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release",)

_MAX_CONFIG_BYTES = 1 << 20
_MAX_HEADER_BYTES = 16 << 20
_LORA_PARTS = (".lora_A.", ".lora_B.", ".lora_embedding_A", ".lora_embedding_B", ".lora_magnitude_vector")


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
            folder = _adapter_dir(deployment, path)
            config = _adapter_config(folder)
            if config is None:
                continue
            modules = _unsupported_modules(ctx, folder, config, version)
            if modules:
                yield _modules_finding(ctx, arg, name, path, modules, version, when)
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


def _adapter_dir(deployment, path: str) -> Path | None:
    """The folder of the adapter at ``path`` (in the container, or on the host for a script) on this host."""
    if not path.startswith("/"):
        return None  # a Hub id or a path relative to the server's working directory
    if deployment.kind in ("compose", "kubernetes", "docker-run"):
        host = deployment.host_path(path)
        return host if isinstance(host, Path) else None
    return Path(path)


def _adapter_config(host: Path | None) -> dict | None:
    """adapter_config.json of the adapter folder ``host``, if readable."""
    if host is None:
        return None
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


def _unsupported_modules(ctx, folder: Path, config: dict, version: str):
    """(the adapter's modules the architecture takes no LoRA on, where they were read, the expected set, the table's
    entry and architecture), or None when not judged."""
    meta = ctx.model
    if meta is None:
        return None
    table = load_knowledge("vllm/lora_modules.yaml")["architectures"]
    arch = next((a for a in meta.architectures if a in table), None)
    entry = fact(table[arch], version) if arch else None
    if entry is None:
        return None
    expected = set(entry["modules"])
    names, whence = _tensor_modules(folder / "adapter_model.safetensors"), "adapter_model.safetensors"
    if names is None:
        if entry.get("moe"):
            return None  # a target name may be an expert weight, which vLLM names otherwise: not judged
        targets = config.get("target_modules")
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            return None  # a regex, "all-linear" or nothing: not judged
        names, whence = targets, "adapter_config.json target_modules"
    saved = config.get("modules_to_save") if isinstance(config.get("modules_to_save"), list) else []
    unexpected = sorted({n for n in names if n.rsplit(".", 1)[-1] not in expected and n.rsplit(".", 1)[-1] not in saved})
    return (unexpected, whence, sorted(expected), entry, arch) if unexpected else None


def _tensor_modules(path: Path) -> list[str] | None:
    """The module names of a safetensors adapter's LoRA tensors (from its header), None when it is not readable."""
    try:
        if not path.is_file():
            return None
        with path.open("rb") as f:
            size = struct.unpack("<Q", f.read(8))[0]
            if size <= 0 or size > _MAX_HEADER_BYTES:
                return None
            header = json.loads(f.read(size).decode("utf-8"))
    except (OSError, struct.error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    out = []
    for key in header:
        if key == "__metadata__" or "base_layer" in key:
            continue
        cut = min((key.find(p) for p in _LORA_PARTS if p in key), default=-1)
        if cut <= 0:
            continue  # not a LoRA tensor vLLM names by module (a saved module, a bias): not judged
        module = key[:cut].removeprefix("base_model.model.")
        if ".experts." not in f"{module}.":
            out.append(module)
    return out


def _modules_finding(ctx, arg, name, path, found, version, when):
    unexpected, whence, expected, entry, arch = found
    facts = data()["lora"]["target_modules"]
    parts = [u.rsplit(".", 1)[-1] for u in unexpected]
    shown = unexpected if len(unexpected) <= 4 else [*unexpected[:4], f"... ({len(unexpected)} in all)"]
    message = facts["message"].format(lora_dir=path, expected="[...]", unexpected=shown)  # vLLM lists its set unordered
    return ctx.finding(arg.value_or_flag_span, f"LoRA adapter {name} ({path}): vLLM {version} {when} with "
                       f"\"{message}\" ({source_in(facts['source'], version)}): the adapter's {whence} names "
                       f"{', '.join(sorted(set(parts)))}, which {arch} takes no LoRA on in {version} (it takes "
                       f"{', '.join(expected)}; its model class: {source_in(entry['source'], entry['since'])})",
                       hint="retrain the adapter without " + ", ".join(sorted(set(parts))) +
                       ", or pin a release whose model code takes LoRA on them")
