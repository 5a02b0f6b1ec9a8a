"""Ground-truth GPU memory figures from real vLLM start-ups (dummy weights).

Each case of a YAML file names a model config folder and vLLM engine arguments. ``run``
starts real vLLM once per case, in its own process, with ``load_format="dummy"`` and
``skip_tokenizer_init=True`` (only config.json, an optional hf_quant_config.json and a
two-field generation_config.json are needed: vLLM allocates the real parameter tensors,
profiles, captures CUDA graphs and sizes the KV cache as it would with the real weights),
and writes one JSON line per case: what vLLM printed (weights, torch peak activation,
non-torch memory, CUDA graph estimate and actual capture, available KV cache memory, KV
cache tokens, maximum concurrency, version, start-up seconds) and the worker's own figures.

Sub-commands
  prepare       build the model folders named in the YAML from knowledge/models/*.json and
                from an aiconfigurator-core wheel (``--wheel``)
  run           run the cases (needs a GPU and vLLM on PYTHONPATH); resumable: cases that
                already have a status line in --logs are not started again (no automatic
                retry). A case may set ``env`` (extra environment variables, e.g.
                VLLM_DEEP_GEMM_WARMUP=skip) and ``est_s`` (seconds it is expected to take:
                it is skipped when less than that is left before --deadline); --stop-after-kv S stops a
                start-up S seconds after its last KV-cache figure (state "figures": every figure printed, the
                CUDA-graph capture not waited for)
  child         internal: one start-up (called by ``run``)
  commands      print the ``vllm serve`` command line equivalent to each case
  --parse-logs  rebuild the JSON lines from saved logs (DIR/*.log)

Typical use on the GPU host::

    PYTHONPATH=<site with vllm> python3 bench/gpu_calibration.py run CASES.yaml \
        --models MODELS_DIR --logs LOGDIR --out OUTDIR --deadline 560
    python3 bench/gpu_calibration.py --parse-logs LOGDIR --cases CASES.yaml -o results.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GIB = 1 << 30

# Engine arguments every case gets unless it overrides them. max_num_batched_tokens is
# explicit because the LLM class would default to 16384 on a >=70 GiB GPU, `vllm serve`
# to 8192.
DEFAULT_ARGS = {
    "max_num_batched_tokens": 8192,
    "gpu_memory_utilization": 0.9,
    "tensor_parallel_size": 1,
}
FIXED_ARGS = {"load_format": "dummy", "skip_tokenizer_init": True}

CHILD_ENV = {
    "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # engine core in-process: the worker is readable
    "VLLM_LOGGING_LEVEL": "DEBUG",  # "Memory profiling takes ..." and the graph estimates are DEBUG
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONUNBUFFERED": "1",
}


# --------------------------------------------------------------------------- YAML

def load_yaml(path):
    import yaml

    with open(path) as f:
        return yaml.safe_load(f)


def case_list(spec):
    defaults = dict(DEFAULT_ARGS)
    defaults.update(spec.get("defaults") or {})
    out = []
    for c in spec.get("cases") or []:
        c = dict(c)
        args = dict(defaults)
        args.update(c.get("args") or {})
        c["args"] = args
        out.append(c)
    return out


# --------------------------------------------------------------------------- prepare

def _set_dotted(d, key, value):
    parts = key.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = value


def _gen_config(cfg):
    """Two-field generation_config.json: bos/eos from the config (or its text_config)."""
    src = cfg.get("text_config") or {}
    out = {}
    for k in ("bos_token_id", "eos_token_id"):
        v = cfg.get(k, src.get(k))
        if v is not None:
            out[k] = v
    if len(out) < 2:
        out.setdefault("_from_model_config", True)
        if len(out) < 2:
            out["transformers_version"] = cfg.get("transformers_version", "4.57.0")
    return out


def prepare(spec, out_dir, wheel=None):
    out_dir = Path(out_dir)
    zf = zipfile.ZipFile(wheel) if wheel else None
    made = {}
    for name, m in (spec.get("models") or {}).items():
        kind, _, ref = m["source"].partition(":")
        quant = {}
        if kind == "knowledge":
            d = json.loads((REPO / "knowledge" / "models" / f"{ref}.json").read_text())
            cfg = d["config"]
            quant = d.get("quant_files") or {}
        elif kind == "aic":
            if zf is None:
                raise SystemExit(f"{name}: source {m['source']} needs --wheel")
            base = f"aiconfigurator_core/model_configs/{ref}"
            cfg = json.loads(zf.read(f"{base}_config.json"))
            try:
                quant = {"hf_quant_config.json": json.loads(zf.read(f"{base}_hf_quant_config.json"))}
            except KeyError:
                quant = {}
        else:
            raise SystemExit(f"{name}: unknown source {m['source']}")
        for k, v in (m.get("config_overrides") or {}).items():
            _set_dotted(cfg, k, v)
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
        for fname, content in quant.items():
            text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
            (folder / fname).write_text(text)
        (folder / "generation_config.json").write_text(json.dumps(_gen_config(cfg)) + "\n")
        made[name] = sorted(p.name for p in folder.iterdir())
    return made


# --------------------------------------------------------------------------- commands

def serve_command(case, model_ref=None):
    """The `vllm serve` command line equivalent to the case's engine arguments."""
    args = dict(FIXED_ARGS)
    args.update(case["args"])
    # serve_extra: flags that make the public checkpoint equal to the folder that was run
    # (e.g. hf_overrides num_hidden_layers for a truncated config)
    args.update(case.get("serve_extra") or {})
    model = model_ref or case.get("serve_model") or case.get("hf_id") or case["model"]
    parts = [f"{k}={v}" for k, v in (case.get("env") or {}).items()] + ["vllm", "serve", model]
    for k, v in args.items():
        if k == "tensor_parallel_size" and v == 1:
            continue
        flag = "--" + k.replace("_", "-")
        if v is True:
            parts.append(flag)
        elif v is False or v is None:
            continue
        elif isinstance(v, (dict, list)):
            parts += [flag, json.dumps(v, separators=(",", ":"))]
        else:
            parts += [flag, str(v)]
    return " ".join(shlex.quote(p) for p in parts)


# --------------------------------------------------------------------------- child

def _jsonable(o, depth=0):
    if depth > 4:
        return repr(o)[:200]
    if o is None or isinstance(o, (bool, int, float, str)):
        return o
    if isinstance(o, (list, tuple)):
        return [_jsonable(x, depth + 1) for x in o][:64]
    if isinstance(o, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in list(o.items())[:64]}
    if hasattr(o, "__dataclass_fields__"):
        return {k: _jsonable(getattr(o, k, None), depth + 1) for k in o.__dataclass_fields__}
    return str(o)


def _kv_groups(kvc):
    groups = []
    for g in kvc.kv_cache_groups:
        spec = g.kv_cache_spec
        d = {"spec": type(spec).__name__, "num_layers": len(g.layer_names),
             "first_layer": g.layer_names[0] if g.layer_names else None,
             "is_eagle_group": getattr(g, "is_eagle_group", False)}
        for k in ("block_size", "page_size_bytes", "num_kv_heads", "head_size", "head_size_v",
                  "dtype", "sliding_window", "attention_chunk_size", "shapes", "dtypes",
                  "mamba_type", "num_speculative_blocks", "page_size_padded", "cache_dtype_str"):
            try:
                v = getattr(spec, k)
            except Exception:  # noqa: BLE001, S112 - a property that this release's spec cannot compute
                continue
            d[k] = _jsonable(v)
        sub = getattr(spec, "kv_cache_specs", None)
        if isinstance(sub, dict):
            d["uniform_sub_specs"] = len(sub)
        groups.append(d)
    tensors = [{"size": t.size, "shared_by": len(t.shared_by)} for t in kvc.kv_cache_tensors]
    return {"num_blocks": kvc.num_blocks, "groups": groups,
            "num_tensors": len(tensors), "tensor_bytes_total": sum(t["size"] for t in tensors),
            "tensor_sizes": sorted({t["size"] for t in tensors})}


def child(case_json, models_dir):
    t0 = time.time()
    case = json.loads(case_json)
    import torch  # imported first: timed as part of the start-up
    import vllm
    from vllm import LLM

    kw = dict(FIXED_ARGS)
    kw.update(case["args"])
    kw["model"] = str(Path(models_dir) / case["model"])
    print("START " + json.dumps(kw), flush=True)
    llm = LLM(**kw)
    t1 = time.time()
    free, total = torch.cuda.mem_get_info()
    s = {"name": case["name"], "kw": kw, "vllm_version": getattr(vllm, "__version__", None),
         "torch_version": torch.__version__, "gpu": torch.cuda.get_device_name(0),
         "startup_s": round(t1 - t0, 1), "free_after": free, "total": total,
         "proc_torch_reserved": torch.cuda.memory_reserved(),
         "proc_torch_alloc": torch.cuda.memory_allocated()}
    try:
        s["nvsmi_used_total_mib"] = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=20, check=False).stdout.strip()
    except Exception as e:  # noqa: BLE001 - best effort on the device; recorded, never fatal
        s["nvsmi_err"] = repr(e)
    core = None
    try:
        core = llm.llm_engine.engine_core
        core = getattr(core, "engine_core", core)
        w = core.model_executor.driver_worker
        w = getattr(w, "worker", w)
        for k in ("non_torch_memory", "peak_activation_memory", "cudagraph_memory_estimate",
                  "available_kv_cache_memory_bytes", "requested_memory"):
            s[k] = getattr(w, k, None)
        snap = getattr(w, "init_snapshot", None)
        if snap is not None:
            s["init_free"] = getattr(snap, "free_memory", None)
            s["init_total"] = getattr(snap, "total_memory", None)
        s["model_memory_usage"] = getattr(w.model_runner, "model_memory_usage", None)
    except Exception as e:  # noqa: BLE001 - the worker's internals differ per release; recorded
        s["introspect_err"] = repr(e)
    try:
        cfg = llm.llm_engine.vllm_config
        cc, comp, sc = cfg.cache_config, cfg.compilation_config, cfg.scheduler_config
        s.update(num_gpu_blocks=cc.num_gpu_blocks, block_size=cc.block_size,
                 cache_dtype=str(cc.cache_dtype),
                 cudagraph_mode=str(comp.cudagraph_mode),
                 n_capture_sizes=len(comp.cudagraph_capture_sizes or []),
                 max_capture=getattr(comp, "max_cudagraph_capture_size", None),
                 comp_mode=str(getattr(comp, "mode", None)),
                 max_num_batched_tokens=sc.max_num_batched_tokens, max_num_seqs=sc.max_num_seqs,
                 max_model_len=cfg.model_config.max_model_len,
                 quant=cfg.model_config.quantization, dtype=str(cfg.model_config.dtype),
                 architecture=(cfg.model_config.architectures or [None])[0])
        s["cache_config"] = {k: _jsonable(getattr(cc, k, None)) for k in (
            "enable_prefix_caching", "mamba_block_size", "mamba_page_size_padded",
            "mamba_cache_dtype", "mamba_ssm_cache_dtype", "mamba_cache_mode",
            "kv_cache_memory_bytes", "calculate_kv_scales")}
        spec = cfg.speculative_config
        if spec is not None:
            s["speculative"] = {"method": spec.method,
                                "num_speculative_tokens": spec.num_speculative_tokens,
                                "draft_arch": (getattr(spec.draft_model_config, "architectures", None)
                                               or [None])[0] if spec.draft_model_config else None}
        if cfg.lora_config is not None:
            lc = cfg.lora_config
            s["lora"] = {k: _jsonable(getattr(lc, k, None)) for k in (
                "max_lora_rank", "max_loras", "max_cpu_loras", "fully_sharded_loras", "lora_dtype")}
    except Exception as e:  # noqa: BLE001 - the worker's internals differ per release; recorded
        s["cfg_err"] = repr(e)
    try:
        kvc = core.scheduler.kv_cache_config
        s["kv_cache"] = _kv_groups(kvc)
        from vllm.v1.core.kv_cache_utils import get_max_concurrency_for_kv_cache_config

        conc = get_max_concurrency_for_kv_cache_config(llm.llm_engine.vllm_config, kvc)
        s["max_concurrency_exact"] = conc
        s["kv_tokens_exact"] = int(conc * llm.llm_engine.vllm_config.model_config.max_model_len)
    except Exception as e:  # noqa: BLE001 - the worker's internals differ per release; recorded
        s["kv_err"] = repr(e)
    print("SUMMARY " + json.dumps(s, default=str), flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# --------------------------------------------------------------------------- log parsing

# The parsing is vllm-lint's own (vllm_lint/calibrate/startup_log.py, also behind `vllm-lint calibrate`); on a
# host where vllm-lint is not installed (the lent GPU) the module is loaded from this checkout by path.
try:
    from vllm_lint.calibrate import startup_log as _startup_log
except ImportError:  # pragma: no cover - the GPU host
    import importlib.util as _ilu

    _spec = _ilu.spec_from_file_location("_vllm_lint_startup_log", REPO / "linter" / "calibrate" / "startup_log.py")
    _startup_log = _ilu.module_from_spec(_spec)
    _spec.loader.exec_module(_startup_log)

PATTERNS = _startup_log.PATTERNS
GRAPH_EST, BACKEND, ERROR, KEEP, DEBUG_KEEP = (_startup_log.GRAPH_EST, _startup_log.BACKEND, _startup_log.ERROR,
                                               _startup_log.KEEP, _startup_log.DEBUG_KEEP)
parse_log_text = _startup_log.parse_log_text
trim_log = _startup_log.trim_log


def _gib(b):
    return None if b is None else round(b / GIB, 3)


def build_record(case, text, status_extra=None):
    rec = parse_log_text(text)
    out = {"case": case["name"] if case else None}
    if case:
        out.update(family=case.get("family"), model=case.get("model"), hf_id=case.get("hf_id"),
                   note=case.get("note"), args=case["args"], command=serve_command(case))
    out.update(rec)
    w = rec.get("worker") or {}
    if w:
        out["bytes"] = {k: w.get(k) for k in (
            "model_memory_usage", "peak_activation_memory", "non_torch_memory",
            "cudagraph_memory_estimate", "available_kv_cache_memory_bytes", "requested_memory",
            "init_free", "init_total")}
        out["gib"] = {k: _gib(v) for k, v in out["bytes"].items()}
        for k in ("num_gpu_blocks", "block_size", "startup_s", "kv_tokens_exact",
                  "max_concurrency_exact", "vllm_version", "architecture"):
            if w.get(k) is not None:
                out[k] = w[k]
        if w.get("num_gpu_blocks") and w.get("block_size"):
            out["blocks_x_block_size"] = w["num_gpu_blocks"] * w["block_size"]
    if status_extra:
        out.update(status_extra)
    return out


def parse_logs(log_dir, cases=None):
    log_dir = Path(log_dir)
    by_name = {c["name"]: c for c in (cases or [])}
    status = read_status(log_dir)
    out = []
    for p in sorted(log_dir.glob("*.log")):
        if p.name.endswith(".trim.log"):
            continue
        name = p.stem
        text = p.read_text(errors="replace")
        case = by_name.get(name)
        if case is None:
            m = re.search(r"^START (\{.*\})$", text, re.MULTILINE)
            kw = json.loads(m.group(1)) if m else {}
            args = {k: v for k, v in kw.items() if k not in ("model",) and k not in FIXED_ARGS}
            case = {"name": name, "model": Path(kw.get("model", "?")).name, "args": args}
        out.append(build_record(case, text, status.get(name)))
    return out


def read_status(log_dir):
    st = {}
    p = Path(log_dir) / "status.txt"
    if p.exists():
        for line in p.read_text().splitlines():
            parts = line.split()
            if not parts:
                continue
            d = {}
            for kv in parts[1:]:
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    d[k] = v
            st[parts[0]] = {"exit": d.get("rc"), "wall_s": float(d["secs"]) if "secs" in d else None,
                            "run_status": d.get("state")}
    return st


# --------------------------------------------------------------------------- run

def pack(log_dir, out_dir):
    if not out_dir:
        return
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "logs.tgz.tmp"
    with tarfile.open(tmp, "w:gz") as tf:
        tf.add(str(log_dir), arcname="logs")
    tmp.replace(out_dir / "logs.tgz")
    for f in ("results.jsonl", "status.txt"):
        src = Path(log_dir) / f
        if src.exists():
            (out_dir / f).write_bytes(src.read_bytes())


#: the last figure vLLM prints while sizing the KV cache (kv_cache_utils.py); CUDA-graph capture comes after it
_LAST_FIGURE = "Maximum concurrency for "


def _run_child(cmd, out, logf, env, limit, stop_after_kv=None):
    """Run one start-up, its output in ``out``; the exit status, "timeout" past ``limit`` seconds, or "figures" when
    ``stop_after_kv`` is set and the start-up was stopped that many seconds after vLLM printed its last KV-cache
    figure (the CUDA-graph capture that follows changes none of the figures but can take minutes)."""
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    t0, seen = time.time(), None
    while True:
        try:
            return p.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        now = time.time()
        if stop_after_kv is not None and seen is None and _LAST_FIGURE in logf.read_text(errors="replace"):
            seen = now
        if now - t0 > limit or (seen is not None and now - seen > stop_after_kv):
            _stop(p)
            return "figures" if seen is not None and now - t0 <= limit else "timeout"


def _stop(p):
    """End the child's process group (it was started in a session of its own), TERM then KILL."""
    import signal

    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(cases, models_dir, log_dir, out_dir, deadline, only=None, min_left=40, max_case_s=330, stop_after_kv=None):
    t0 = time.time()
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    done = read_status(log_dir)
    env = dict(os.environ)
    env.update(CHILD_ENV)
    fails_in_row = []
    me = str(Path(__file__).resolve())
    for case in cases:
        name = case["name"]
        if only and name not in only:
            continue
        if name in done:
            continue
        left = deadline - (time.time() - t0)
        need = float(case.get("est_s", 120))
        if left < max(min_left, need):
            print(f"SKIP {name}: {left:.0f}s left, needs ~{need:.0f}s", flush=True)
            continue
        if not (Path(models_dir) / case["model"]).is_dir():
            print(f"SKIP {name}: no model folder {case['model']}", flush=True)
            continue
        limit = int(min(left - 5, max_case_s))
        logf = log_dir / f"{name}.log"
        ts = time.time()
        print(f"RUN {name} (limit {limit}s)  {serve_command(case)}", flush=True)
        case_env = dict(env)
        case_env.update({k: str(v) for k, v in (case.get("env") or {}).items()})
        with open(logf, "w") as f:
            rc = _run_child([sys.executable, me, "child", "--case", json.dumps(case), "--models", str(models_dir)],
                            f, logf, case_env, limit, stop_after_kv)
        secs = round(time.time() - ts)
        text = logf.read_text(errors="replace")
        ok = "\nSUMMARY " in text or text.startswith("SUMMARY ")
        state = "ok" if ok else ("figures" if rc == "figures" else "timeout" if rc == "timeout" else "failed")
        with open(log_dir / "status.txt", "a") as f:
            f.write(f"{name} rc={rc} secs={secs} state={state}\n")
        rec = build_record(case, text, {"exit": str(rc), "wall_s": secs, "run_status": state})
        with open(log_dir / "results.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        (log_dir / f"{name}.trim.log").write_text(trim_log(text, state not in ("ok", "figures")))
        brief = {k: rec.get(k) for k in ("weights_gib", "peak_activation_gib", "non_torch_gib",
                                        "cudagraph_estimate_gib", "graph_capture_gib",
                                        "available_kv_gib", "num_gpu_blocks", "block_size",
                                        "kv_tokens", "max_concurrency", "compile_cache_hit",
                                        "startup_s")}
        print(f"DONE {name} state={state} rc={rc} secs={secs} {json.dumps(brief)}", flush=True)
        if not ok:
            for l in (rec.get("error_lines") or [])[-6:]:
                print("   ! " + l[:300], flush=True)
        pack(log_dir, out_dir)
        # stop when the environment itself is broken: two failures in a row, both before
        # any weights were loaded, with the same last error line
        if ok or state == "figures" or "Model loading took" in text:
            fails_in_row = []
        else:
            fails_in_row.append((rec.get("error_lines") or [""])[-1])
            if len(fails_in_row) >= 2 and fails_in_row[-1] == fails_in_row[-2]:
                print("STOP: two start-ups failed the same way before loading weights", flush=True)
                break
    pack(log_dir, out_dir)
    print(f"ELAPSED {time.time() - t0:.0f}s", flush=True)


# --------------------------------------------------------------------------- main

def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--parse-logs":
        ap = argparse.ArgumentParser(prog="gpu_calibration.py --parse-logs")
        ap.add_argument("--parse-logs", dest="dir", required=True)
        ap.add_argument("--cases", help="the YAML the logs came from (for flags and commands)")
        ap.add_argument("-o", "--output", help="write JSON lines here (default: stdout)")
        ap.add_argument("--trim-dir", help="also write trimmed logs (memory lines + errors) here")
        a = ap.parse_args(argv)
        cases = case_list(load_yaml(a.cases)) if a.cases else None
        recs = parse_logs(a.dir, cases)
        text = "".join(json.dumps(r) + "\n" for r in recs)
        if a.output:
            Path(a.output).write_text(text)
        else:
            sys.stdout.write(text)
        if a.trim_dir:
            td = Path(a.trim_dir)
            td.mkdir(parents=True, exist_ok=True)
            for p in sorted(Path(a.dir).glob("*.log")):
                if p.name.endswith(".trim.log"):
                    continue
                t = p.read_text(errors="replace")
                (td / f"{p.stem}.log").write_text(trim_log(t, "\nSUMMARY " not in t))
        return 0

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="build model folders")
    p.add_argument("cases")
    p.add_argument("--out", required=True)
    p.add_argument("--wheel", help="aiconfigurator-core wheel (for aic: sources)")
    p = sub.add_parser("run", help="run the cases on the GPU")
    p.add_argument("cases")
    p.add_argument("--models", required=True)
    p.add_argument("--logs", required=True)
    p.add_argument("--out", help="copy results.jsonl and logs.tgz here after each case")
    p.add_argument("--deadline", type=float, default=560, help="seconds for this whole run")
    p.add_argument("--min-left", type=float, default=40)
    p.add_argument("--max-case-s", type=float, default=330)
    p.add_argument("--only", help="comma-separated case names")
    p.add_argument("--stop-after-kv", type=float, metavar="S",
                   help="stop a start-up S seconds after its last KV-cache figure (skips the CUDA-graph capture "
                        "when it takes longer; state 'figures')")
    p = sub.add_parser("child")
    p.add_argument("--case", required=True)
    p.add_argument("--models", required=True)
    p = sub.add_parser("commands", help="print the vllm serve equivalents")
    p.add_argument("cases")
    a = ap.parse_args(argv)
    if a.cmd == "prepare":
        made = prepare(load_yaml(a.cases), a.out, a.wheel)
        for k, v in made.items():
            print(k, " ".join(v))
    elif a.cmd == "run":
        cases = case_list(load_yaml(a.cases))
        run(cases, a.models, a.logs, a.out, a.deadline, set(a.only.split(",")) if a.only else None,
            a.min_left, a.max_case_s, a.stop_after_kv)
    elif a.cmd == "child":
        child(a.case, a.models)
    elif a.cmd == "commands":
        for c in case_list(load_yaml(a.cases)):
            print(f"# {c['name']}" + (f"  ({c['note']})" if c.get("note") else ""))
            print(serve_command(c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
