"""A setting that makes the pinned vLLM release take a slower path, in a launch that is not a debugging profile.

## What it does
Reports, where vLLM's own description or start-up log says the path is slower (``knowledge/vllm/slow_paths.yaml``,
read from each release's source):

- ``--enforce-eager`` (true, or ``enforce_eager: true`` in a ``--config`` file), quoting what the release logs
  for it ("Enforce eager set, disabling torch.compile and CUDAGraphs ..." from 0.17.0);
- in 0.8.0 to 0.10.2, an option with which the V1 engine falls back to V0 and vLLM recommends removing it:
  ``--preemption-mode``, ``--disable-async-output-proc``, ``--num-scheduler-steps`` other than 1 (to
  0.10.0), ``--scheduler-delay-factor`` other than 0 — unless ``VLLM_USE_V1`` is set (0: V0 asked for;
  1: the start fails instead, another check).

Only a launch that does not look like a debugging or test set-up is reported: no compose profile,
service name or file path part named ``debug``, ``dev``, ``test``, ``experimental`` ... (option ``debug-words``), and, for ``--enforce-eager``,
no comment on the flag's line or the lines above that says why (a comment naming eager mode, CUDA graphs, memory, OOM or
a crash: the flag is then a deliberate work-around). Launches on platforms without CUDA graphs (TPU,
CPU, Neuron, HPU, XPU images or ``--device cpu``) are not reported, nor are embedding, scoring and
classification launches (``--task embed``, ``--runner pooling``, an embedding architecture or model name).

## Why is this bad?
vLLM's own description of the setting (``ModelConfig.enforce_eager``: ``vllm/config.py`` to 0.10.x,
``vllm/config/model.py`` from 0.11.0): "Whether to always use eager-mode PyTorch. If True, we will
disable CUDA graph and always execute the model in eager mode. If False, we will use CUDA graph and
eager execution in hybrid for maximal performance and flexibility." From 0.17.0 vLLM logs at start-up
"Enforce eager set, disabling torch.compile and CUDAGraphs" (``vllm/config/vllm.py``). The flag is often
left from a debugging session or an out-of-memory work-around — seed report 004 (in French) offers it
as a last resort "which can slow down inference" — and stays in production. What it saves is measured
in ``knowledge/vllm/cold_start.yaml``: start-up time (Qwen3-8B on vLLM 0.20.2: 25–33 s eager against
79–111 s for a first start that compiles) and the CUDA-graph memory (0.46–0.95 GiB in those logs).

For the V0 fall-back options vLLM's log is the reason: the option is "not supported by the V1 Engine",
vLLM falls back to V0 and recommends removing it "in favor of the V1 Engine"
(``vllm/engine/arg_utils.py`` ``_raise_or_fallback``, 0.8.0 to 0.10.2).

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-8B", "--enforce-eager"]
```

## Fix
Drop the flag in production (lower ``--gpu-memory-utilization`` or ``--max-num-seqs`` instead if it was
there for memory), keep it in a debug profile (``profiles: [debug]``), or say why beside it. Remove the
options that force V0, as vLLM's log recommends.
"""
from __future__ import annotations

import re

from vllm_lint.knowledge import load as load_knowledge

CODE = "VLL115"
NAME = "slow-path-in-production"
CATEGORY = "deployment"
SEVERITY = "warning"
OPTIONS = {"debug-words": ["debug", "debugging", "dev", "devel", "develop", "development", "test", "tests", "testing",
                           "experimental", "experiment", "experiments", "sandbox", "eager", "repro", "bench", "benchmark"]}

_NO_GRAPHS = ("tpu", "cpu", "neuron", "hpu", "xpu", "gaudi", "openvino")
_WHY = re.compile(r"eager|cuda.?graph|graph|memory|oom|vram|crash|compile|workaround|work-around|because|bug", re.IGNORECASE)


def check(deployment, ctx):
    words = {w.lower() for w in ctx.options["debug-words"]}
    names = list(deployment.profiles) + [deployment.name] + re.split(r"[\\/]", deployment.path)
    if any(set(_tokens(n)) & words for n in names):
        return
    from vllm_lint.rule import release_basis

    basis = release_basis(ctx)
    if basis is None:
        ctx.skip("the launch's vLLM release is not one whose source was read")
        return
    data = load_knowledge("vllm/slow_paths.yaml")
    version = ctx.release.version
    label = basis.text
    yield from _eager(deployment, ctx, data, version, label)
    yield from _v0_fallback(deployment, ctx, data, version, label)


def _eager(deployment, ctx, data, version, label):
    arg = deployment.arg("enforce-eager")
    if arg is None or not deployment.flag_set("enforce-eager"):
        return
    if _no_cuda_graphs(deployment) or _pooling(deployment, ctx) or _explained(ctx, arg):
        return
    described = _for(data["enforce_eager"]["description"], version)
    logged = _for(data["enforce_eager"]["log"], version)
    where = f" (compose profiles: {', '.join(deployment.profiles)})" if deployment.profiles else ""
    said = f'{label} logs "{logged["text"]}" ({logged["source"].split(";")[0]})' if logged else \
        f"{label} then disables CUDA graphs"
    why = ""
    if described:
        sentence = described["text"].split("If False, ", 1)[-1]  # what the default gives
        why = f'; the default, vLLM\'s description says: "{sentence}" ({described["source"]})'
    yield ctx.finding(arg.span, f"{arg.flag or '--enforce-eager'} in a launch that is not a debugging profile{where}: "
                      f"{said}{why}; it only saves start-up time and the CUDA-graph memory",
                      hint="drop it in production (lower --gpu-memory-utilization or --max-num-seqs if it was there for "
                           "memory), move it to a debug profile, or say why in a comment beside it")


def _v0_fallback(deployment, ctx, data, version, label):
    if not version or "VLLM_USE_V1" in deployment.env:
        return
    for entry in data["v0_fallback"]:
        if not _within(version, entry):
            continue
        arg = deployment.arg(entry["option"])
        if arg is None or not _applies(deployment, arg, entry["when"]):
            continue
        feature = "--" + entry["option"]
        yield ctx.finding(arg.span, f"{arg.flag or feature} makes {label} fall back from the V1 engine to V0: it logs "
                          f'"{feature} is not supported by the V1 Engine. Falling back to V0. We recommend to remove '
                          f'{feature} from your config in favor of the V1 Engine." ({entry["source"].split(",")[0]})',
                          hint=f"remove {arg.flag or feature}")


def _applies(d, arg, when: str) -> bool:
    if when == "set":
        return arg.value is not None and arg.value.strip() != "" or arg.value is None and not arg.negated
    if when == "true":
        return d.flag_set(arg.name)
    number = d.number(arg.name)
    if number is None:
        return False  # unreadable or a variable: not guessed
    return number != (1 if when == "not 1" else 0)


def _within(version: str, entry: dict) -> bool:
    from vllm_lint.vllm.options import version_key

    try:
        v = version_key(version)
        return version_key(entry["since"]) <= v and ("last" not in entry or v <= version_key(entry["last"]))
    except Exception:  # noqa: BLE001 - an unreadable version is not judged
        return False


def _for(entries: list, version: str):
    """The entry that holds in ``version``, or None."""
    return next((e for e in entries if _within(version, e)), None)


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def _no_cuda_graphs(d) -> bool:
    image = (d.image or "").lower()
    if any(p in _tokens(image) or f"vllm-{p}" in image for p in _NO_GRAPHS):
        return True
    device = (d.value("device") or "").lower()
    return device in _NO_GRAPHS


def _pooling(d, ctx) -> bool:
    """An embedding, scoring or classification launch: not the decode loop CUDA graphs speed up."""
    if (d.value("task") or "") in ("embed", "embedding", "score", "classify", "reward") or d.value("runner") == "pooling" \
            or d.value("convert") in ("embed", "classify", "reward"):
        return True
    meta = ctx.model or ctx.shapes
    if meta is not None:
        from vllm_lint.knowledge import load

        table = load("vllm/architectures.yaml").get("architectures", {})
        kinds = {str((table.get(a) or {}).get("kind")) for a in meta.architectures}
        return bool(kinds) and kinds <= {"embedding", "cross-encoder"}
    return bool(re.search(r"embed|rerank|bge-|e5-|gte-", (d.model or "").lower()))


def _explained(ctx, arg) -> bool:
    """A comment on the flag's line or the line above that says why it is there."""
    source = ctx.source(arg.flag_span.path)
    text = getattr(source, "text", None)
    if not text:
        return False
    lines = text.splitlines()
    line = arg.flag_span.line - 1
    if not 0 <= line < len(lines):
        return False
    same = lines[line][arg.flag_span.column:] if arg.flag_span.column else lines[line]
    comments = []
    if "#" in same:
        comments.append(same.split("#", 1)[1])
    for above in range(line - 1, max(-1, line - 4), -1):
        stripped = lines[above].strip()
        if stripped.startswith("#"):
            comments.append(stripped)
        elif stripped and not re.fullmatch(r"-?\s*[\w.-]+:", stripped):
            break  # past the option's own key (``extraArgs:``): another setting
    return any(_WHY.search(c) for c in comments)
