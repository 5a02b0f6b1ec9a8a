"""What vLLM prints about memory while it starts, read from its log: the weights ("Model loading took X GiB"),
the profile ("Memory profiling takes ...; torch peak memory increase ..."), the CUDA graphs ("Estimated CUDA
graph memory", "Graph capturing finished ... took X GiB"), the KV cache ("Available KV cache memory: X GiB",
"GPU KV cache size: N tokens", "Maximum concurrency for L tokens per request: Cx") and the release ("Initializing
a V1 LLM engine (vX)"), with the lines that say why a start-up failed.

Shared by ``vllm-lint calibrate`` and ``bench/gpu_calibration.py`` (which loads this file by path when vllm-lint
is not installed, as on the lent GPU host): standard library only. Lines may carry prefixes (``(EngineCore_DP0
pid=1)``, ``(Worker_TP1 pid=2)``, compose's ``svc-1  | ``): each figure is searched anywhere on its line, and the
last occurrence wins (a draft model, or the last worker, logs a second line).
"""
from __future__ import annotations

import json
import re

_NUM = r"([\d.]+)"


def _int(text: str) -> int:
    return int(text.replace(",", ""))


#: figure -> (pattern whose first group is the value, converter). The keys are bench/gpu_calibration.py's record.
PATTERNS = {
    "vllm_version": (r"Initializing a V1 LLM engine \(v([^)\s]+)\)", str),
    "weights_gib_loading": (r"Model loading took " + _NUM + r" GiB memory", float),
    "model_load_s": (r"Model loading took [\d.]+ GiB memory and " + _NUM + " seconds", float),
    "profile_s": (r"Memory profiling takes " + _NUM + " seconds", float),
    "non_kv_gib": (r"Total non KV cache memory: " + _NUM + "GiB", float),
    "peak_activation_gib": (r"torch peak memory increase: " + _NUM + "GiB", float),
    "non_torch_gib": (r"non-torch forward increase memory: " + _NUM + "GiB", float),
    "weights_gib": (r"; weights memory: " + _NUM + "GiB", float),
    "cudagraph_estimate_gib": (r"Estimated CUDA graph memory: " + _NUM + " GiB total", float),
    "cudagraph_profiled": (r"Profiling CUDA graph memory: (.+)$", str),
    "available_kv_gib": (r"Available KV cache memory: " + _NUM + " GiB", float),
    "kv_tokens": (r"GPU KV cache size: ([\d,]+) tokens", _int),
    "concurrency_len": (r"Maximum concurrency for ([\d,]+) tokens per request", _int),
    "max_concurrency": (r"Maximum concurrency for [\d,]+ tokens per request: " + _NUM + "x", float),
    "graph_capture_s": (r"Graph capturing finished in " + _NUM + " secs", float),
    "graph_capture_gib": (r"Graph capturing finished in [\d.]+ secs, took " + _NUM + " GiB", float),
    "torch_compile_s": (r"torch.compile took " + _NUM + " s in total", float),
    "init_engine_s": (r"init engine \(profile, create kv cache, warmup model\) took " + _NUM + " s", float),
    "util_equiv": (r"is equivalent to --gpu-memory-utilization=" + _NUM, float),
    "initial_free_gib": (r"Initial free memory: " + _NUM + " GiB", float),
}
#: The same figures as older releases print them, read only where the lines above are absent.
FALLBACKS = {
    "vllm_version": (r"Initializing an? (?:LLM engine|V0 LLM engine) \(v([^)\s]+)\)", str),  # V0 engine
    "available_kv_gib": (r"(?:reserved for KV Cache is|kv_cache_size=)\s*" + _NUM + r"\s*GiB", float),  # 0.6 / 0.7
    "gpu_blocks": (r"# GPU blocks: ([\d,]+)", _int),  # V0: blocks of --block-size tokens
}
GRAPH_EST = re.compile(r"Estimated (\w+) CUDA graph memory: ([\d.]+) MiB first-capture \+ \((\d+)-1\) × ([\d.]+) MiB per-graph")
BACKEND = re.compile(r"(Using [A-Za-z0-9_./ -]*?(?:backend|kernel|version \d)\b[^\n]{0,80}|Selected [^\n]{0,120})")
ERROR = re.compile(r"(Error|Exception|Traceback|error:|CUDA out of memory|Killed|RuntimeError|AssertionError|No module named)")
KEEP = re.compile(
    r"(Initializing a V1 LLM engine|Model loading took|Memory profiling takes|CUDA graph memory|"
    r"Available KV cache memory|GPU KV cache size|Maximum concurrency|Graph capturing finished|"
    r"torch.compile took|Directly load the compiled|Compiling a graph for|init engine|Using .*backend|"
    r"Using .*kernel|FlashAttention version|Initial free memory|Free memory after profiling|"
    r"Setting attention block size|Padding mamba page size|mamba|Mamba|speculative|LoRA|lora|"
    r"Resolved architecture|Overriding|Defaulting|cudagraph|SUMMARY|START|equivalent to|"
    r"block_size|page size|Loading model|Available KV|hybrid|Hybrid)")
DEBUG_KEEP = re.compile(r"(Memory profiling takes|CUDA graph memory|Initial free memory|"
                        r"Free memory after profiling|Defaulting max_num)")
#: The server is up: the engine (and its KV cache) is built.
READY = re.compile(r"Application startup complete|Uvicorn running on|Starting vLLM API server")
_LEVEL = re.compile(r"^(?:\([^)]*\)\s+|\S+\s+\|\s+)?(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


def level_of(line: str) -> str | None:
    """The log level of a vLLM log line (after a worker or compose prefix), or None."""
    m = _LEVEL.match(line)
    return m.group(1) if m else None


def _last(pattern: str, text: str):
    m = None
    for m in re.finditer(pattern, text, re.M):
        pass
    return m


def parse_log_text(text: str) -> dict:
    """The figures of one start-up's log (see :data:`PATTERNS`), the CUDA-graph estimate parts, whether the
    compile cache was hit, the attention backends chosen, and ``status``: ``ok`` when the log holds a
    ``SUMMARY`` line (bench's child prints one), else ``failed`` with the ``error_lines``."""
    rec: dict = {}
    for table, only_missing in ((PATTERNS, False), (FALLBACKS, True)):
        for key, (pat, conv) in table.items():
            if only_missing and key in rec:
                continue
            m = _last(pat, text)
            if m:
                try:
                    rec[key] = conv(m.group(1).strip())
                except ValueError:
                    rec[key] = m.group(1)
    weights_all = [float(x) for x in re.findall(r"Model loading took ([\d.]+) GiB memory", text)]
    if len(weights_all) > 1:
        rec["weights_gib_loading_all"] = weights_all
    ests = GRAPH_EST.findall(text)
    if ests:
        rec["cudagraph_estimate_parts"] = [
            {"mode": m, "first_mib": float(f), "n": int(n), "per_graph_mib": float(p)} for m, f, n, p in ests]
    rec["compile_cache_hit"] = ("Directly load the compiled graph" in text) or None
    if "Compiling a graph for compile range" in text:
        rec["compile_cache_hit"] = False
    seen = []
    for m in BACKEND.finditer(text):
        s = re.sub(r"\s+", " ", m.group(1)).strip()
        if s not in seen and "DEBUG" not in s:
            seen.append(s)
    rec["backends"] = seen[:12]
    summ = None
    for line in text.splitlines():
        if line.startswith("SUMMARY "):
            try:
                summ = json.loads(line[8:])
            except ValueError:
                pass
    if summ is not None:
        rec["worker"] = summ
        rec["status"] = "ok"
    else:
        rec["status"] = "failed"
        rec["error_lines"] = error_lines(text)
    return rec


def error_lines(text: str, limit: int = 12) -> list[str]:
    """The last lines that say what went wrong (tracebacks, exceptions, CUDA out of memory)."""
    errs = [line.strip()[:400] for line in text.splitlines() if ERROR.search(line) and level_of(line) != "DEBUG"]
    return errs[-limit:]


def kv_figures(rec: dict) -> dict:
    """The figures a calibration compares, from :func:`parse_log_text`'s record: ``weights_gib`` (what "Model
    loading took" says, per GPU), ``available_kv_gib`` (per GPU), ``kv_tokens``, ``max_concurrency`` and the
    ``concurrency_len`` it is for; only those the log printed."""
    out = {}
    weights = rec.get("weights_gib_loading", rec.get("weights_gib"))
    if weights is not None:
        out["weights_gib"] = weights
    for key in ("available_kv_gib", "kv_tokens", "max_concurrency", "concurrency_len"):
        if rec.get(key) is not None:
            out[key] = rec[key]
    return out


def trim_log(text: str, failed: bool) -> str:
    """The memory lines, the backends chosen, the SUMMARY and the errors (DEBUG chatter dropped)."""
    lines = text.splitlines()
    keep = []
    for line in lines:
        if "ubatch_slices" in line or "Capturing CUDA graphs" in line:
            continue
        level = level_of(line)
        if level == "DEBUG":
            if DEBUG_KEEP.search(line):
                keep.append(line[:1200])
        elif KEEP.search(line) or (ERROR.search(line) and level != "INFO"):
            keep.append(line[:1200])
    if failed:
        keep.append("----- last 60 lines -----")
        keep += [line[:600] for line in lines[-60:]]
    return "\n".join(keep) + "\n"
