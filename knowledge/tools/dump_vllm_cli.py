#!/usr/bin/env python3
"""Generate the ``vllm serve`` option tables in ``knowledge/vllm/cli/`` from the
REAL argument parser of each vLLM release, and the parser verdicts in
``tests/data/parser_verdicts/``.

Provenance / how to regenerate
==============================

Everything under ``knowledge/vllm/cli/`` and ``tests/data/parser_verdicts/`` is
written by this script; nothing there is edited by hand.  No vLLM code is kept in
the repository: the wheels are downloaded to a scratch directory, only their
Python files are extracted, and they are imported from there.

1. A scratch virtualenv with vLLM's pure-Python dependencies (CPU torch from the
   local wheel; vLLM's compiled ``vllm._C`` is not needed to build the parser)::

       python3.11 -m venv VENV
       VENV/bin/pip install torch==2.13.0
       VENV/bin/pip install numpy "transformers<5" tokenizers \\
           "fastapi[standard]" pydantic openai prometheus_client pillow psutil \\
           sentencepiece requests tqdm py-cpuinfo msgspec pyzmq cloudpickle pyyaml \\
           einops gguf partial-json-parser uvicorn aiohttp typing_extensions \\
           filelock cachetools regex blake3 cbor2 pybase64 setproctitle watchfiles \\
           python-json-logger prometheus-fastapi-instrumentator tiktoken \\
           huggingface_hub protobuf lark diskcache scipy openai-harmony \\
           "mistral_common[image]" outlines_core jsonschema packaging \\
           triton xgrammar llguidance lm-format-enforcer \\
           model-hosting-container-standards orjson ijson

   (On 2026-11-22 that gave transformers 4.57.6, pydantic 2.14.3, triton 3.9.0.)
   Releases whose import-time code needs an older or newer transformers /
   tokenizers / compressed-tensors get those pinned versions from small
   ``pip install --no-deps --target`` overlays that ``dump`` creates under
   ``OVERLAYS`` (see ``TRANSFORMERS_FOR``; the exact
   ``compressed-tensors==X`` pin is read from each wheel's METADATA).  Other
   adjustments, all recorded per release in the index: triton is made to look
   absent for 0.6/0.7 (their triton cache manager predates triton 3.x), a few
   ``torch._C._cpu._is_*_supported`` probes that torch 2.13 dropped are
   answered ``False``, and the installed vllm version is reported as
   ``X+cpu`` so that every release picks vLLM's CPU platform (there is no GPU).

2. The release sources (wheel -> ``vllm/**`` minus ``*.so``; wheel deleted)::

       python3 knowledge/tools/fetch_vllm_sources.py --src SRC \\
           $(python3 knowledge/tools/dump_vllm_cli.py --list-releases)

3. Dump (one subprocess per release, imports ``vllm`` from ``SRC/X``,
   builds the parser exactly as ``vllm serve`` does in that release -- the CLI
   ``main()`` of ``vllm/entrypoints/cli/main.py`` or ``vllm/scripts.py`` is run
   with ``FlexibleArgumentParser.parse_args`` intercepted, and the ``serve``
   sub-parser is taken from it -- then reads the parser's actions and runs the
   fixed list of command lines through the real ``parse_args``)::

       VENV/bin/python knowledge/tools/dump_vllm_cli.py \\
           --src SRC --raw RAW dump [VERSION ...]

4. Merge the raw dumps into the shipped data (``build_vllm_cli.py``; run with
   the project's Python).  It picks, for every release, the variant of
   ``vllm_lint.vllm.parser``'s pre-processing emulation that reproduces the
   release's own ``FlexibleArgumentParser`` on a set of probe command lines
   (and stops if none does), names the behaviour of each type function from
   the values the real function returned for ``TYPE_SAMPLES``, reads three
   facts from the extracted sources (LoRA action variant, JSON human-readable
   numbers, modality names), and writes ``index.json``, ``options.json`` and
   ``tests/data/parser_verdicts/<version>.json``::

       python3 knowledge/tools/dump_vllm_cli.py --raw RAW build

5. Check the emulation against every recorded verdict::

       python3 -m pytest tests/test_release.py

Each verdict file holds the fixed ``CASES`` below plus generated ones (every
option once with a value built from its default/choices, typed options once
with a bad value), each run through the real ``parse_args`` of ``vllm serve
org/model ...``: accepted (with the parsed value of every dest that changed,
and ``post``: what the release's post-parse validation of serve arguments
said, when it objected) or rejected (argparse's message, or the exception
vLLM's own pre-processing raised).  ``type_probes`` records, per distinct type
function, whether it accepted each of ``TYPE_SAMPLES``.

How a release was obtained is recorded in ``knowledge/vllm/cli/index.json``
(``obtained``: ``import`` = the release's own modules imported unchanged;
``import-with-stubs`` = as import, but the listed third-party modules were
replaced by empty stand-in modules because they could not be imported on this
CPU-only machine; ``static`` = table read from the wheel's source with ``ast``).
The Python version the real parsers ran under is recorded too (argparse
messages differ slightly between Python versions).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import enum
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from vllm_cli_samples import TYPE_SAMPLES  # noqa: E402  (sibling module, shared with build_vllm_cli.py)
REPO = HERE.parent.parent
CLI_DIR = REPO / "knowledge" / "vllm" / "cli"
VERDICT_DIR = REPO / "tests" / "data" / "parser_verdicts"

# The first and the last patch of every minor from 0.6 on (so "added in" /
# "removed in" can name the minor), plus explicitly requested patches.
RELEASES = [
    "0.6.0", "0.6.4.post1", "0.6.6.post1", "0.7.0", "0.7.3", "0.8.0", "0.8.5.post1",
    "0.9.0", "0.9.2", "0.10.0", "0.10.2", "0.11.0", "0.11.2", "0.12.0", "0.13.0",
    "0.14.0", "0.14.1", "0.15.0", "0.15.1", "0.16.0", "0.17.0", "0.17.1", "0.18.0",
    "0.18.1", "0.19.0", "0.19.1", "0.20.0", "0.20.2", "0.21.0", "0.22.0", "0.22.1",
    "0.23.0", "0.24.0", "0.25.0", "0.25.1", "0.26.0", "0.27.0", "0.27.1", "0.28.0",
    "0.29.0", "0.30.0", "0.31.0", "0.32.0", "0.33.0",
]

# Contemporary third-party packages that vLLM's import-time code depends on,
# installed with `pip install --no-deps --target OVERLAY/<name>` and put in
# front of the scratch venv (which itself has transformers 4.57.x).
TRANSFORMERS_FOR = [
    # (first release, last release, requirements)
    ("0.6.0", "0.6.5", ["transformers==4.45.2", "tokenizers==0.20.3"]),
    ("0.6.6", "0.6.6.post1", ["transformers==4.47.1", "tokenizers==0.21.4"]),
    ("0.7.0", "0.7.3", ["transformers==4.48.3", "tokenizers==0.21.4"]),
    ("0.8.0", "0.8.5.post1", ["transformers==4.51.3", "tokenizers==0.21.4"]),
    ("0.9.0", "0.9.2", ["transformers==4.53.3", "tokenizers==0.21.4"]),
    ("0.10.0", "0.23.0", []),  # the venv's transformers 4.57.x
    ("0.24.0", "9", ["transformers==5.17.0", "tokenizers==0.23.1", "huggingface_hub==1.31.0",
                     "safetensors==0.8.0"]),
]


def overlay_requirements(version: str, src: str) -> list[str]:
    """Pinned packages for one release: the transformers era above, plus the
    exact `compressed-tensors==X` pin from the wheel's METADATA."""
    from packaging.version import Version

    v = Version(version)
    reqs: list[str] = []
    for lo, hi, r in TRANSFORMERS_FOR:
        if Version(lo) <= v <= Version(hi):
            reqs += r
    meta = next(pathlib.Path(src, version).glob("vllm-*.dist-info/METADATA"), None)
    if meta:
        for line in meta.read_text().splitlines():
            m = re.match(r"Requires-Dist: (compressed[-_]tensors)\s*==\s*([\w.]+)\s*(;.*)?$", line)
            if m and "extra" not in (m.group(3) or ""):
                reqs.append(f"compressed-tensors=={m.group(2)}")
    return reqs


def ensure_overlay(reqs: list[str], root: str) -> str | None:
    if not reqs:
        return None
    name = "_".join(r.replace("==", "-") for r in sorted(reqs))
    d = pathlib.Path(root, name)
    if not (d / ".done").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                        str(d), *reqs], check=True)
        (d / ".done").write_text("\n".join(reqs))
    return str(d)


MODEL = "org/model"
ROPE = '{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}'

# Fixed command lines (the arguments after `vllm serve <model>`).
CASES: list[list[str]] = [
    ["--limit-mm-per-prompt", "image:3,video:0"],
    ["--limit-mm-per-prompt", "image=3,video=0"],
    ["--limit-mm-per-prompt", "image=3"],
    ["--limit-mm-per-prompt", '{"image":3,"video":0}'],
    ["--limit-mm-per-prompt", '{"image": {"count": 3, "width": 512, "height": 512}}'],
    ["--limit-mm-per-prompt.image", "3"],
    ["--limit-mm-per-prompt.image=3"],
    ["--limit_mm_per_prompt", '{"image":3}'],
    ["--mm-processor-kwargs", "max_pixels:599040"],
    ["--mm-processor-kwargs", "max_pixels=599040"],
    ["--mm-processor-kwargs", '{"max_pixels":599040}'],
    ["--mm-processor-kwargs.max_pixels", "599040"],
    ["--mm-encoder-tp-mode", "replicate"],
    ["--mm-encoder-tp-mode", "weights"],
    ["--mm-encoder-tp-mode", "data"],
    ["--enable-reasoning"],
    ["--enable-reasoning", "--reasoning-parser", "deepseek_r1"],
    ["--reasoning-parser", "qwen3"],
    ["--reasoning-parser", "deepseek_r1"],
    ["--reasoning-parser", "bogus_parser"],
    ["--rope-scaling", ROPE],
    ["--rope_scaling", ROPE],
    ["--rope-scaling=" + ROPE],
    ["--rope-scaling", "not-json"],
    ["--rope-scaling.rope_type", "yarn"],
    ["--rope-theta", "1000000"],
    ["--swap-space", "16"],
    ["--swap-space", "4.5"],
    ["--swap_space", "16"],
    ["--gpu-memory-utilization", "0.9"],
    ["--gpu-memory-utilization", "abc"],
    ["--gpu-memory-utilization", "1.5"],
    ["--gpu-memory-utilization=0.95"],
    ["--gpu_memory_utilization", "0.9"],
    ["--max-model-len", "131072"],
    ["--max-model-len", "128k"],
    ["--max-model-len", "128K"],
    ["--max-model-len", "1.5K"],
    ["--max-model-len", "auto"],
    ["--max-model-len", "-1"],
    ["--max-model-len", "abc"],
    ["--tensor-parallel-size", "two"],
    ["--tensor-parallel-size", "2"],
    ["--tensor-parallel-size", "-2"],
    ["--tensor_parallel_size=2"],
    ["--tensor-parallel-size"],
    ["-tp", "2"],
    ["--tensor-parallel", "2"],
    ["--pipeline-parallel-size", "2"],
    ["-pp", "2"],
    ["--data-parallel-size", "2"],
    ["-dp", "2"],
    ["--quantization", "awq"],
    ["--quantization", "awq_marlin"],
    ["--quantization", "compressed-tensors"],
    ["--quantization", "fp8"],
    ["--quantization", "gptq"],
    ["--quantization", "bitsandbytes"],
    ["--quantization", "bogus"],
    ["-q", "awq"],
    ["--kv-cache-dtype", "fp8"],
    ["--kv-cache-dtype", "fp8_e5m2"],
    ["--kv-cache-dtype", "bogus"],
    ["--dtype", "half"],
    ["--dtype", "bfloat16"],
    ["--dtype", "fp16"],
    ["--tool-call-parser", "hermes"],
    ["--tool-call-parser", "granite"],
    ["--tool-call-parser", "bogus_parser"],
    ["--enable-auto-tool-choice"],
    ["--enable-auto-tool-choice", "--tool-call-parser", "hermes"],
    ["--skip-mm-profiling"],
    ["--enable-chunked-prefill"],
    ["--no-enable-chunked-prefill"],
    ["--enable-chunked-prefill", "false"],
    ["--enable-chunked-prefill=false"],
    ["--enable-prefix-caching"],
    ["--no-enable-prefix-caching"],
    ["--disable-prefix-caching"],
    ["--enable-prefix"],
    ["--hf-overrides", '{"rope_scaling": ' + ROPE + "}"],
    ["--hf-overrides.rope_scaling.factor", "4.0"],
    ["--hf-overrides", "not-json"],
    ["--distributed-executor-backend=mp"],
    ["--distributed-executor-backend", "ray"],
    ["--distributed-executor-backend", "bogus"],
    ["--async-scheduling"],
    ["--no-async-scheduling"],
    ["--api-key", "x"],
    ["--api-key", "x", "y"],
    ["--served-model-name", "a", "b"],
    ["--served-model-name"],
    ["--enforce-eager"],
    ["--enforce-eager", "true"],
    ["--max-num-seqs", "32"],
    ["--max-num-seqs", "32.0"],
    ["--max-num-batched-tokens", "8192"],
    ["--max-num-batched-tokens", "8k"],
    ["--trust-remote-code"],
    ["--port", "8000"],
    ["--port", "http"],
    ["--host", "0.0.0.0"],
    ["--uvicorn-log-level", "debug"],
    ["--uvicorn-log-level", "verbose"],
    ["--lora-modules", "a=b"],
    ["--enable-lora", "--max-loras", "2"],
    ["--max-lora-rank", "64"],
    ["--max-lora-rank", "63"],
    ["--speculative-config", '{"method":"ngram","num_speculative_tokens":3}'],
    ["--speculative-model", "x"],
    ["--num-speculative-tokens", "3"],
    ["--compilation-config", '{"level":3}'],
    ["--compilation-config", "3"],
    ["-O3"],
    ["-O", "3"],
    ["--seed", "0"],
    ["--seed", "None"],
    ["--block-size", "16"],
    ["--block-size", "17"],
    ["--load-format", "safetensors"],
    ["--load-format", "bogus"],
    ["--device", "cpu"],
    ["--device", "bogus"],
    ["--guided-decoding-backend", "xgrammar"],
    ["--guided-decoding-backend", "bogus"],
    ["--task", "generate"],
    ["--task", "embed"],
    ["--runner", "pooling"],
    ["--convert", "embed"],
    ["--tokenizer-mode", "mistral"],
    ["--tokenizer-mode", "bogus"],
    ["--model", "x"],
    ["--model=x"],
    ["--allowed-origins", '["*"]'],
    ["--allowed-origins", "*"],
    ["--middleware", "a", "b"],
    ["--max-seq-len-to-capture", "8192"],
    ["--scheduling-policy", "priority"],
    ["--preemption-mode", "swap"],
    ["--cpu-offload-gb", "10"],
    ["--override-generation-config", '{"temperature":0.5}'],
    ["--generation-config", "vllm"],
    ["--kv-transfer-config", '{"kv_connector":"PyNcclConnector","kv_role":"kv_both"}'],
    ["--enable-expert-parallel"],
    ["--headless"],
    ["--api-server-count", "2"],
    ["--bogus-flag"],
    ["--bogus-flag", "1"],
    ["--disable-log"],
    ["--max-model"],
    ["--worker-use-ray"],
    ["--use-v2-block-manager"],
    ["--num-scheduler-steps", "8"],
    ["--mm-processor-cache-gb", "4"],
    ["--disable-mm-preprocessor-cache"],
    ["--enable-sleep-mode"],
    ["--disable-log-requests"],
    ["--enable-log-requests"],
    ["--disable-log-stats"],
    ["--hf-token"],
    ["--hf-token", "abc"],
    ["--chat-template-content-format", "openai"],
    ["--chat-template-content-format", "bogus"],
    ["--pooler-config", '{"pooling_type":"MEAN"}'],
    ["--override-pooler-config", '{"pooling_type":"MEAN"}'],
    ["--structured-outputs-config.backend", "xgrammar"],
    ["--max-num-seqs", "-1"],
    ["--enable-prefix-caching", "--enable-chunked-prefill", "--max-model-len", "32k"],
    ["--config-format", "mistral"],
    ["--ssl-keyfile", "k.pem"],
    ["--return-tokens-as-token-ids"],
    ["--served-model-name", "a", "--served-model-name", "b"],
    ["--limit-mm-per-prompt", '{"image":3}', "--limit-mm-per-prompt.video", "0"],
    ["--limit-mm-per-prompt", ""],
    ["--hf-overrides", '{"max_position_embeddings": 131072}'],
    ["--max-model-len=128k"],
    ["--max-model-len", "1t"],
    ["--no-enforce-eager"],
    ["--no-trust-remote-code"],
    ["--kv-cache-dtype", "fp8_e4m3"],
    ["--dtype", "float16"],
    ["--swap-space", "0"],
    ["--seed", "-1"],
    ["--compilation-config.level", "3"],
    ["-cc.mode", "3"],
    ["-cc", '{"mode":3}'],
    ["--speculative-config.method", "ngram"],
    ["--speculative_config.num_speculative_tokens", "3"],
    ["--override-generation-config.temperature", "0.5"],
    ["--enable-auto-tool-choice=true"],
    ["--async-scheduling=false"],
    ["--tool-parser-plugin", "p.py", "--tool-call-parser", "mine"],
    ["--reasoning-parser", "none"],
    ["--kv-cache-memory-bytes", "8G"],
    ["--max-num-batched-tokens", "1.5K"],
    ["--lora-modules", '{"name":"a","path":"b"}'],
    ["--lora-modules", '{"name":"a"}'],
    ["--middleware", "a", "--middleware", "b"],
    ["--allowed-origins", "[\"http://x\"]", "--allowed-methods", "[\"GET\"]"],
    ["--enable-lora", "--lora-modules", "a=b", "c=d"],
    ["--moe-backend", "flashinfer-cutlass"],
    ["--device-ids", "0,1"],
    ["--data-parallel-size-local", "1", "--data-parallel-address", "127.0.0.1"],
    ["--config", "serve.yaml"],
    ["--config", "serve.json"],
]


# ----------------------------------------------------------------- worker side

STUB_NOTE = "stand-in module created by dump_vllm_cli.py"


class _StubFinder:
    """Meta-path finder that satisfies imports of the given top-level names
    with empty stand-in modules (any attribute is a dummy class)."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, fullname, path=None, target=None):
        import importlib.machinery

        if fullname.split(".")[0] in self.names:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        import types

        class _Mod(types.ModuleType):
            def __getattr__(self, name):
                if name.startswith("__"):
                    raise AttributeError(name)
                cls = type(name, (), {"__init__": lambda s, *a, **k: None,
                                      "__call__": lambda s, *a, **k: None,
                                      "__doc__": STUB_NOTE})
                setattr(self, name, cls)
                return cls

        m = _Mod(spec.name, STUB_NOTE)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


# Modules hidden per release range: triton (installed in the scratch venv for
# torch's sake) is too new for the custom cache manager of 0.6.x/0.7.x.
HIDE_FOR = [("0.6.0", "0.7.99", ["triton"])]


def hidden_modules(version: str) -> list[str]:
    from packaging.version import Version

    v = Version(version)
    out: list[str] = []
    for lo, hi, names in HIDE_FOR:
        if Version(lo) <= v <= Version(hi):
            out += names
    return out


class _Captured(Exception):
    pass


def _torch_shims() -> list[str]:
    """Attributes older releases read from torch that torch 2.13 no longer has."""
    import torch

    applied = []
    cpu = getattr(torch._C, "_cpu", None)
    if cpu is not None:
        for name in ("_is_avx512_supported", "_is_avx2_supported", "_is_amx_tile_supported",
                     "_is_avx512_bf16_supported"):
            if not hasattr(cpu, name):
                setattr(cpu, name, lambda: False)
                applied.append(f"torch._C._cpu.{name} = lambda: False")
    return applied


def _force_cpu_platform():
    """There is no GPU here: make releases that detect their platform at
    import time pick vLLM's CPU platform (some config defaults need one)."""
    try:
        import vllm.platforms as P
    except Exception as e:  # noqa: BLE001
        return f"no vllm.platforms ({type(e).__name__})"
    plugins = getattr(P, "builtin_platform_plugins", None)
    if isinstance(plugins, dict) and "cpu" in plugins:
        plugins["cpu"] = lambda: "vllm.platforms.cpu.CpuPlatform"
        return "builtin_platform_plugins['cpu'] forced"
    if hasattr(P, "vllm_version_matches_substr"):
        P.vllm_version_matches_substr = lambda s: s == "cpu"
        return "vllm_version_matches_substr('cpu') forced"
    return None


def _jsonable(v, depth=0):
    if depth > 6:
        return repr(v)
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return repr(v)
        return v
    if isinstance(v, enum.Enum):
        return _jsonable(v.value, depth + 1)
    if isinstance(v, dict):
        return {str(k): _jsonable(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x, depth + 1) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted((_jsonable(x, depth + 1) for x in v), key=repr)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        try:
            return {f.name: _jsonable(getattr(v, f.name), depth + 1)
                    for f in dataclasses.fields(v)}
        except Exception:
            return repr(v)
    if hasattr(v, "model_dump"):
        try:
            return _jsonable(v.model_dump(), depth + 1)
        except Exception:
            pass
    if isinstance(v, type):
        return f"<class {v.__module__}.{v.__qualname__}>"
    return repr(v)


def _first_sentence(text: str | None) -> str:
    if not text:
        return ""
    t = " ".join(text.replace("%%", "%").split())
    m = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)\.(\s|$)", t)
    if m:
        t = t[: m.start() + 1]
    if len(t) > 300:
        t = t[:297].rstrip() + "..."
    return t


_REPLACEMENT_RE = re.compile(
    r"(?:use|using|replaced by|in favou?r of|instead use|renamed to)\s+`*'*\"*(--[a-z0-9][a-z0-9_.\-]*)`*",
    re.I,
)


def _describe_type(t, probe_bad):
    """Structural descriptor of an argparse `type` callable (see linter/vllm/values.py)."""
    import functools
    import inspect

    if t is None:
        return {"k": "str", "name": None}
    if t is int:
        return {"k": "int", "name": "int"}
    if t is float:
        return {"k": "float", "name": "float"}
    if t is str:
        return {"k": "str", "name": "str"}
    if t is bool:
        return {"k": "bool", "name": "bool"}
    name = getattr(t, "__name__", None) or type(t).__name__
    if isinstance(t, functools.partial):
        return {"k": "custom", "name": name, "what": repr(t)}
    mod = getattr(t, "__module__", "") or ""
    if name == "loads" and "json" in mod:
        return {"k": "json", "name": "loads"}
    d = {"name": name}
    cells = {}
    code = getattr(t, "__code__", None)
    if code is not None and getattr(t, "__closure__", None):
        for var, cell in zip(code.co_freevars, t.__closure__):
            try:
                cells[var] = cell.cell_contents
            except ValueError:
                pass
    bound_self = getattr(t, "__self__", None)
    if bound_self is None and "." in getattr(t, "__qualname__", "") and "<" not in t.__qualname__:
        # a staticmethod such as PoolerConfig.from_json: find its class
        owner = sys.modules.get(getattr(t, "__module__", ""), None)
        for part in t.__qualname__.split(".")[:-1]:
            owner = getattr(owner, part, None)
        if isinstance(owner, type):
            bound_self = owner
    if name == "_optional_type":
        d["k"] = "optional"
        d["inner"] = _describe_type(cells.get("return_type"), probe_bad)
        try:
            src = inspect.getsource(t)
        except Exception:
            src = ""
        # old optional_type (0.8.x) wraps ValueError itself
        d["wraps"] = "parse_type(" not in src and "ArgumentTypeError" in src
    elif name == "_parse_type":
        d["k"] = "parse"
        d["inner"] = _describe_type(cells.get("return_type"), probe_bad)
    elif name in ("human_readable_int", "human_readable_int_or_auto"):
        d["k"] = "hri_auto" if name.endswith("auto") else "hri"
    elif name == "nullable_str":
        d["k"] = "nullable_str"
    elif name == "nullable_kvs":
        d["k"] = "kvs"
    elif name == "union_dict_and_str":
        d["k"] = "dict_or_str"
    elif name == "parse_dataclass":
        cls = None
        if bound_self is not None and isinstance(bound_self, type):
            cls = bound_self
        else:
            cls = cells.get("cls") or cells.get("dataclass_cls")
            if cls is None and t.__defaults__:
                cls = next((x for x in t.__defaults__ if isinstance(x, type)), None)
            if cls is None and getattr(t, "__kwdefaults__", None):
                cls = next((x for x in t.__kwdefaults__.values() if isinstance(x, type)), None)
        d["k"] = "dataclass"
        if cls is not None:
            d["cls"] = cls.__name__
            try:
                d["keys"] = [f.name for f in dataclasses.fields(cls) if f.init]
            except Exception:
                pass
    elif bound_self is not None and isinstance(bound_self, type) and name in ("from_json", "from_cli"):
        try:
            src = inspect.getsource(t)
        except Exception:
            src = ""
        d["cls"] = bound_self.__name__
        fields = getattr(bound_self, "model_fields", None)
        if fields is None and dataclasses.is_dataclass(bound_self):
            fields = {f.name: f for f in dataclasses.fields(bound_self)}
        if fields is not None:
            d["keys"] = [n for n, f in fields.items() if getattr(f, "init", True) is not False]
        if "literal_eval" in src:
            d["k"] = "level_or_literal"   # "0".."3" or a Python-literal dict
        elif "model_validate_json" in src:
            d["k"] = "pydantic_json"
        elif "json.loads" in src and "**" in src:
            d["k"] = "json_kwargs"        # cls(**json.loads(value))
        else:
            d["k"] = "custom"
    elif name == "<lambda>":
        try:
            src = inspect.getsource(t)
        except Exception:
            src = ""
        d["qual"] = t.__qualname__
        dflt = [x for x in (t.__defaults__ or ())]
        target = dflt[0] if len(dflt) == 1 else None
        if "split(':')" in src and "split(',')" in src:
            d["k"] = "colon_kvs"
        elif isinstance(target, type) and dataclasses.is_dataclass(target) and "**" in src:
            # 0.9.0: lambda x, f=SomeConfig: f(**json.loads(x))
            d["k"] = "json_kwargs"
            d["cls"] = target.__name__
            d["keys"] = [f.name for f in dataclasses.fields(target) if f.init]
        elif callable(target) and getattr(target, "__name__", "") == "from_cli":
            owner = getattr(target, "__self__", None)
            try:
                fsrc = inspect.getsource(target)
            except Exception:
                fsrc = ""
            if isinstance(owner, type):
                d["cls"] = owner.__name__
                if dataclasses.is_dataclass(owner):
                    d["keys"] = [f.name for f in dataclasses.fields(owner) if f.init]
            if "literal_eval" in fsrc:
                d["k"] = "level_or_literal"
            elif "json.loads" in fsrc and "**" in fsrc:
                d["k"] = "level_or_json"   # "0".."3" or cls(**json.loads(value))
            else:
                d["k"] = "custom"
        else:
            d["k"] = "custom"
    elif isinstance(t, type) and issubclass(t, enum.Enum):
        d["k"] = "enum"
        d["values"] = [m.value for m in t]
    elif isinstance(t, type) and issubclass(t, str):
        d["k"] = "str"
    else:
        d["k"] = "custom"
    return d


def _probe_type(t, samples):
    out = []
    for s in samples:
        try:
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                v = t(s)
            out.append([True, _jsonable(v)])
        except argparse.ArgumentTypeError as e:
            out.append([False, str(e)])
        except (TypeError, ValueError) as e:
            out.append([False, "invalid %s value: %r" % (getattr(t, "__name__", repr(t)), s)])
        except Exception as e:  # argparse would let these escape
            out.append([False, f"!{type(e).__name__}: {e}"])
    return out


def worker(version: str, src: str, stubs: list[str], out: str, overlay: str | None) -> None:
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    root = os.path.join(src, version)
    if overlay:
        sys.path.insert(0, overlay)
    sys.path.insert(0, root)
    if stubs:
        sys.meta_path.insert(0, _StubFinder(stubs))
    hidden = hidden_modules(version)
    for name in hidden:  # find_spec() -> None and import fails, as if not installed
        sys.modules[name] = None
    # "--help" in argv makes newer releases compute the help texts (NEEDS_HELP).
    sys.argv = ["vllm", "serve", MODEL, "--help"]
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    shims = _torch_shims()
    # vLLM's CPU platform plugin looks for "cpu" in the installed vllm version;
    # some releases resolve the platform while `import vllm` runs.
    import importlib.metadata as _md

    _real_version = _md.version

    def _version(name):
        v = _real_version(name)
        return v + "+cpu" if name == "vllm" and "cpu" not in v else v

    _md.version = _version
    t0 = time.time()
    import vllm  # noqa: F401

    platform_patch = _force_cpu_platform()

    assert os.path.dirname(os.path.dirname(os.path.abspath(vllm.__file__))) == os.path.abspath(root), vllm.__file__
    entry = None
    if os.path.exists(os.path.join(root, "vllm/entrypoints/cli/main.py")):
        from vllm.entrypoints.cli import main as climain

        entry = "vllm.entrypoints.cli.main:main"
        main_fn = climain.main
    else:
        from vllm import scripts

        entry = "vllm.scripts:main"
        main_fn = scripts.main
    try:
        from vllm.utils.argparse_utils import FlexibleArgumentParser as FAP
    except ImportError:
        from vllm.utils import FlexibleArgumentParser as FAP
    orig_parse_args = FAP.parse_args

    def _capture(self, args=None, namespace=None):
        raise _Captured(self)

    FAP.parse_args = _capture
    top = None
    try:
        main_fn()
    except _Captured as c:
        top = c.args[0]
    finally:
        FAP.parse_args = orig_parse_args
    assert top is not None, "main() did not call parse_args"
    sub_action = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    serve = sub_action.choices["serve"]
    import_time = time.time() - t0
    sys.argv = ["vllm"]

    # --- option table
    deprecated_actions = set()
    for attr in ("_deprecated",):
        s = getattr(serve, attr, None)
        if isinstance(s, (set, list)):
            deprecated_actions |= {id(a) for a in s}
    strings_by_action: dict[int, list[str]] = {}
    for s, a in serve._option_string_actions.items():
        strings_by_action.setdefault(id(a), []).append(s)
    group_of = {}
    for g in serve._action_groups:
        for a in g._group_actions:
            group_of[id(a)] = g.title
    options = []
    positionals = []
    for a in serve._actions:
        if isinstance(a, argparse._HelpAction):
            continue
        cls = type(a)
        base = None
        for b in cls.__mro__:
            if b.__module__ == "argparse":
                base = b.__name__
                break
        action = {
            "_StoreAction": "store", "_StoreConstAction": "store_const",
            "_StoreTrueAction": "store_true", "_StoreFalseAction": "store_false",
            "_AppendAction": "append", "_AppendConstAction": "append_const",
            "_CountAction": "count", "_VersionAction": "version", "_HelpAction": "help",
            "BooleanOptionalAction": "bool_optional", "_ExtendAction": "extend",
        }.get(base, "store")
        if cls.__name__ == "EnableDisableAction":
            action = "enable_disable"
        elif base == "Action" and cls.__module__ != "argparse":
            action = "store"
        help_text = a.help if isinstance(a.help, str) else ""
        if help_text == argparse.SUPPRESS:
            help_text = ""
        dep = None
        if id(a) in deprecated_actions or getattr(a, "deprecated", False):
            dep = "deprecated"
        for sent in re.split(r"(?<=[.!?])\s+(?=[A-Z\[`(\-])", " ".join((help_text or "").split())):
            if re.search(r"deprecat|will be removed|no longer (used|supported)|has no effect", sent, re.I):
                dep = sent[:240]
                break
        if cls.__name__.lower().startswith("deprecated"):
            dep = dep or "deprecated"
        repl = None
        if dep:
            rm = _REPLACEMENT_RE.search(help_text or "") or _REPLACEMENT_RE.search(dep)
            if rm:
                repl = rm.group(1).rstrip(".`'\"")
        tdesc = _describe_type(a.type, None) if a.nargs != 0 else None
        choices = None
        if a.choices is not None:
            try:
                choices = [_jsonable(c) for c in a.choices]
            except TypeError:
                choices = repr(a.choices)
        rec = {
            "flags": list(a.option_strings),
            "strings": strings_by_action.get(id(a), []),
            "dest": a.dest,
            "action": action,
            "action_class": cls.__name__,
            "nargs": a.nargs,
            "const": _jsonable(a.const),
            "default": _jsonable(a.default),
            "choices": choices,
            "required": bool(a.required),
            "type": tdesc,
            "help": _first_sentence(help_text),
            "help_full_len": len(help_text or ""),
            "deprecated": dep,
            "replacement": repl,
            "group": group_of.get(id(a)),
            "metavar": a.metavar if isinstance(a.metavar, str) else None,
        }
        if a.type is not None and a.nargs != 0 and callable(a.type):
            rec["probes"] = _probe_type(a.type, TYPE_SAMPLES)
        if not a.option_strings:
            positionals.append(rec)
        else:
            options.append(rec)

    # --- parser-level behaviour
    parser_info = {
        "allow_abbrev": serve.allow_abbrev,
        "prefix_chars": serve.prefix_chars,
        "fromfile_prefix_chars": serve.fromfile_prefix_chars,
        "has_negative_number_optionals": bool(serve._has_negative_number_optionals),
        "serve_class": type(serve).__name__,
        "top_allow_abbrev": top.allow_abbrev,
        "entry": entry,
        "prog": serve.prog,
        "platform_patch": platform_patch,
    }
    try:
        from vllm.platforms import current_platform

        parser_info["platform"] = type(current_platform).__name__
    except Exception as e:  # noqa: BLE001
        parser_info["platform"] = f"? {type(e).__name__}"

    # Behaviour of FlexibleArgumentParser.parse_args preprocessing: observe the
    # argument list it hands to argparse.ArgumentParser.parse_args.
    def preprocess(tokens):
        seen = {}

        def spy(self, args=None, namespace=None):
            seen["args"] = list(args)
            raise _Captured()

        saved = argparse.ArgumentParser.parse_args
        argparse.ArgumentParser.parse_args = spy
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                top.parse_args(list(tokens))
        except _Captured:
            return {"ok": True, "args": seen["args"]}
        except BaseException as e:  # noqa: BLE001
            return {"ok": False, "error": f"{type(e).__name__}: {e}"}
        finally:
            argparse.ArgumentParser.parse_args = saved
        return {"ok": False, "error": "no parse"}

    pre_cases = [
        ["serve", MODEL, "--a_b.c_d", "1"],
        ["serve", MODEL, "--a_b.c_d=1"],
        ["serve", MODEL, "--a_b=x_y", "--c_d", "e_f"],
        ["serve", MODEL, "--a.b+", "x,y"],
        ["serve", MODEL, "--a.b", "1k"],
        ["serve", MODEL, "--a.b", "x", "--a.c", '{"d": 1}', "--a.b", "2"],
        ["serve", MODEL, "-O3"],
        ["serve", MODEL, "-O", "3"],
        ["serve", MODEL, "-O.level", "3"],
        ["serve", MODEL, "-Odecode"],
        ["serve", MODEL, "-O=2"],
        ["serve", "--model", "x", "--port", "1"],
        ["serve", "--model=x", "--port", "1"],
        ["serve", MODEL, "--model", "x"],
        ["serve", "--served-model-name", "a"],
        ["serve", "--port", "1", MODEL],
        ["serve", MODEL, "-tp_x", "1"],
        ["serve", MODEL, "--x", "--y_z"],
        ["serve", "--model=", "--port", "1"],
        ["serve", MODEL, "-O"],
        ["serve", MODEL, "-O", "x"],
        ["serve", MODEL, "--a.b=", "x"],
        ["serve", MODEL, "--served_model_name", "a"],
        ["serve", "--served_model_name", "a", MODEL],
        ["serve", MODEL, "--a.b", "[1, 2]", "--a.b", "[3]"],
        ["serve", MODEL, "--help=x_y"],
    ]
    preproc = [[c, preprocess(c)] for c in pre_cases]

    # --- verdicts
    def run(tokens):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                ns = top.parse_args(list(tokens))
            return {"ok": True, "ns": ns}
        except SystemExit as e:
            msg = err.getvalue().strip().splitlines()
            last = msg[-1] if msg else ""
            m = re.match(r"^(\S.*?): error: (.*)$", last)
            full = err.getvalue()
            i = full.find(": error: ")
            emsg = full[i + len(": error: "):].strip() if i >= 0 else last
            return {"ok": False, "error": emsg, "prog": m.group(1) if m else None,
                    "by": "argparse", "code": e.code}
        except Exception as e:  # noqa: BLE001
            return {"ok": False, "error": f"{type(e).__name__}: {e}", "by": "vllm"}

    base = run(["serve", MODEL])
    assert base["ok"], base
    base_ns = vars(base["ns"])

    post_validate = None
    try:
        from vllm.entrypoints.cli import serve as serve_mod

        sc = getattr(serve_mod, "ServeSubcommand", None)
        if sc is not None and hasattr(sc, "validate"):
            post_validate = sc().validate
    except Exception:
        pass
    if post_validate is None:
        try:
            from vllm.entrypoints.openai.cli_args import validate_parsed_serve_args

            post_validate = validate_parsed_serve_args
        except Exception:
            post_validate = None

    def verdict(tokens):
        r = run(["serve", MODEL, *tokens])
        if not r["ok"]:
            out = {"ok": False, "error": r["error"], "by": r["by"]}
            if r.get("prog"):
                out["prog"] = r["prog"]
            return out
        ns = vars(r["ns"])
        changed = {k: _jsonable(v) for k, v in ns.items()
                   if k not in base_ns or repr(base_ns[k]) != repr(v)}
        changed.pop("dispatch_function", None)
        out = {"ok": True, "values": changed}
        if post_validate is not None:
            try:
                import copy

                with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                    post_validate(copy.copy(r["ns"]))
            except SystemExit as e:
                out["post"] = f"SystemExit: {e.code}"
            except Exception as e:  # noqa: BLE001
                out["post"] = f"{type(e).__name__}: {e}"[:300]
        return out

    cases = [list(c) for c in CASES]
    # Generated cases: every option once with a value built from its default /
    # choices (or bare, for flags), and typed options once with a bad value.
    for o in options:
        f = o["flags"][-1] if o["flags"] else None
        longs = [s for s in o["flags"] if s.startswith("--")]
        f = longs[0] if longs else f
        if f in ("--help", "-h") or o["action"] in ("version", "help"):
            continue
        if o["nargs"] == 0 or o["action"] in ("store_true", "store_false", "store_const",
                                               "count", "bool_optional", "enable_disable"):
            cases.append([f])
            continue
        if o["choices"] and isinstance(o["choices"], list):
            good = next((c for c in o["choices"] if c is not None), None)
            cases.append([f, str(good)])
            cases.append([f, "bogus-choice"])
            continue
        dv = o["default"]
        if isinstance(dv, bool):
            good = str(dv)
        elif isinstance(dv, (int, float)):
            good = str(dv)
        elif isinstance(dv, (dict, list)) and dv:
            good = json.dumps(dv)
        elif isinstance(dv, str) and dv:
            good = dv
        else:
            good = {"int": "4", "float": "0.5", "json": "{}", "dataclass": "{}",
                    "hri": "4k", "hri_auto": "4k"}.get((o["type"] or {}).get("k"), "x")
            if (o["type"] or {}).get("k") in ("optional", "parse"):
                ik = ((o["type"] or {}).get("inner") or {}).get("k")
                good = {"int": "4", "float": "0.5", "json": "{}", "dataclass": "{}",
                        "hri": "4k"}.get(ik, "x")
        if o["nargs"] in ("+", "*") or isinstance(o["nargs"], int):
            cases.append([f, good] if not isinstance(o["nargs"], int) else [f] + [good] * o["nargs"])
        else:
            cases.append([f, good])
        if (o["type"] or {}).get("k") not in (None, "str"):
            cases.append([f, "@bad"])
    seen = set()
    verdicts = []
    for c in cases:
        key = json.dumps(c)
        if key in seen:
            continue
        seen.add(key)
        verdicts.append([c, verdict(c)])

    result = {
        "version": version,
        "stubs": stubs,
        "hidden": hidden,
        "shims": shims,
        "python": sys.version.split()[0],
        "import_seconds": round(import_time, 1),
        "parser": parser_info,
        "positionals": positionals,
        "options": options,
        "preprocess": preproc,
        "verdicts": verdicts,
        "base_values": {k: _jsonable(v) for k, v in base_ns.items() if k != "dispatch_function"},
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=0)


# ------------------------------------------------------------ orchestration


def dump(versions, src, raw, py, overlays):
    raw = pathlib.Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    for v in versions:
        out = raw / f"{v}.json"
        stubs: list[str] = []
        log = raw / f"{v}.log"
        reqs = overlay_requirements(v, src)
        ov = ensure_overlay(reqs, overlays)
        for attempt in range(12):
            cmd = [py, str(pathlib.Path(__file__).resolve()), "--src", src, "worker", v,
                   "--out", str(out), "--stubs", ",".join(stubs)] + (["--overlay", ov] if ov else [])
            t = time.time()
            p = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
            log.write_text(p.stdout + "\n----\n" + p.stderr)
            if p.returncode == 0 and out.exists():
                print(f"{v}: ok in {time.time() - t:.0f}s stubs={stubs} overlay={reqs}", flush=True)
                data = json.loads(out.read_text())
                data["overlay"] = reqs
                out.write_text(json.dumps(data, indent=0))
                break
            m = re.findall(r"ModuleNotFoundError: No module named '([^']+)'", p.stderr)
            missing = m[-1].split(".")[0] if m else None
            if missing and not missing.startswith("vllm") and missing not in stubs:
                stubs.append(missing)
                continue
            print(f"{v}: FAILED\n" + "\n".join(p.stderr.strip().splitlines()[-15:]), flush=True)
            break


def main() -> None:
    ap = argparse.ArgumentParser(description="Generate knowledge/vllm/cli from real vLLM parsers.")
    ap.add_argument("--src", default="vllm-src")
    ap.add_argument("--raw", default="vllm-raw")
    ap.add_argument("--list-releases", action="store_true")
    sub = ap.add_subparsers(dest="cmd")
    w = sub.add_parser("worker")
    w.add_argument("version")
    w.add_argument("--out", required=True)
    w.add_argument("--stubs", default="")
    w.add_argument("--overlay", default=None)
    d = sub.add_parser("dump")
    d.add_argument("versions", nargs="*")
    d.add_argument("--python", default=sys.executable)
    d.add_argument("--overlays", default="vllm-overlays")
    sub.add_parser("build")
    a = ap.parse_args()
    if a.list_releases:
        print(" ".join(RELEASES))
        return
    if a.cmd == "worker":
        worker(a.version, a.src, [s for s in a.stubs.split(",") if s], a.out, a.overlay)
    elif a.cmd == "dump":
        dump(a.versions or RELEASES, a.src, a.raw, a.python, a.overlays)
    elif a.cmd == "build":
        import build_vllm_cli  # noqa: E402  (sibling helper)

        build_vllm_cli.SRC_DIR = pathlib.Path(a.src)
        build_vllm_cli.build(pathlib.Path(a.raw), RELEASES)
    else:
        ap.print_help()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
