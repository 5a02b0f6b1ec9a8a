#!/usr/bin/env python3
"""Differential test of vllm-lint's ``vllm serve`` parser emulation (and its fixes) against the REAL parser.

Nothing here ships with vllm-lint: it measures it. Two Python environments take part:

- the project's own (``vllm_lint`` importable): generates the command lines, gives vllm-lint's verdicts
  (``load_release(v).parse(argv)`` and the VLL201/VLL202/VLL209 findings of a script that runs each line),
  applies ``--fix`` / ``--fix --unsafe-fixes`` and compares;
- a scratch vLLM environment, prepared exactly as ``dump_vllm_cli.py``'s docstring says (its venv, the release
  trees that ``fetch_vllm_sources.py`` extracts, its overlays): ``real`` builds the parser of ``vllm serve`` as
  the release's CLI ``main()`` does and runs every line through the real ``parse_args``, then the release's
  post-parse checks of the serve arguments, and (``--engine``) ``EngineArgs.from_cli_args(...)`` plus
  ``create_engine_config()`` on a local model folder holding only a ``config.json``.

Run (the project's Python; ``--python`` is the scratch venv's; no GPU needed: vLLM's CPU platform is picked as
``dump_vllm_cli.py`` does)::

    python knowledge/tools/differential_parser.py run --python VENV/bin/python --src SRC \\
        --overlays OVERLAYS --work WORK [--keep 300] [--engine MODEL_DIR] 0.9.2 0.11.0 0.19.1 0.20.2 0.33.0

``run`` writes ``WORK/<version>/`` (the lines, both sides' verdicts, the fixed lines and the real verdicts of
those, ``disagreements.json``) and prints one JSON line per release: ``parse_agree`` (accept/reject of the
emulated parse), ``findings_agree`` (a VLL201/VLL202 finding exactly on the lines the real parser rejects),
``message_agree`` (same words, among the lines both reject; pydantic's link to its docs left out),
``post_agree`` / ``post_caught`` (VLL209 against the serve checks), ``fixed_<mode>`` / ``_accepted`` /
``_other_defect`` (lines ``--fix`` or ``--fix --unsafe-fixes`` rewrote; accepted by the real parser; still
rejected with the error the line had before, for a defect the fix did not touch) and, with ``--engine``,
``engine_platform`` (lines whose engine stop is this CPU-only, offline harness's own: ``PLATFORM_ONLY``; left
out of the rest), ``engine_checked`` / ``engine_real`` / ``engine_caught`` / ``engine_extra`` (lines that pass parser and serve
checks; that ``create_engine_config`` then stops; of those, lines where any vllm-lint rule reports an error with
the model folder's ``config.json`` known; error findings on lines the engine accepted) and ``engine_caught_stop`` /
``engine_extra_stop`` (the same for the findings that say vLLM stops: VLL201, VLL202, VLL209, and the model
rules that quote vLLM's own start-up check, ``MODEL_STOPS``; other errors, such
as a literal ``--api-key``, are right on lines the engine accepts) and ``engine_message_agree`` (lines the engine
stopped, with a VLL209 engine-config finding, where one of them says what vLLM printed). ``--reuse`` keeps the
real verdicts already in WORK (the lines are generated deterministically). ``--keep N`` stores N lines per
release with their real verdicts, and every line a fix rewrote with the real verdict of the result, in
``tests/data/parser_verdicts/differential/<version>.json`` (replayed by ``tests/test_parser_differential.py``
without vLLM). The sub-commands ``generate`` and ``real`` are steps of ``run``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import random
import re
import shlex
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
VERDICT_DIR = REPO / "tests" / "data" / "parser_verdicts" / "differential"
MODEL = "org/model"
#: codes whose finding means "the parser rejects this line"
REJECTING = ("VLL201", "VLL202")
#: the rules whose errors say vLLM stops at start-up, with vLLM's own check, on what the model's config.json says:
#: --max-model-len above the model's context (VLL306), a tensor-parallel size its heads do not divide (VLL307)
MODEL_STOPS = ("VLL306", "VLL307")


# ------------------------------------------------------------------ generation (project env)

def _good_value(o, rng):
    """A value the option should accept, from its choices, default or type."""
    if o.choices:
        vals = [c for c in o.choices if c is not None]
        if vals:
            return str(rng.choice(vals))
    t = o.type or ""
    d = o.default
    if "json" in t:
        if o.json_keys and rng.random() < 0.5:
            return "{}"
        return json.dumps(d) if isinstance(d, dict) and d and len(json.dumps(d)) < 200 else "{}"
    if t.startswith("bool-str"):
        return rng.choice(["true", "false", "True"])
    if "float" in t:
        return rng.choice(["0.5", "1", "0.9", "2.0"])
    if "human-readable-int" in t:
        return rng.choice(["4096", "4k", "32K", "1M"])
    if "int" in t:
        return rng.choice(["1", "4", "16", "0"])
    if isinstance(d, str) and d and " " not in d:
        return d
    return rng.choice(["x", "auto", "a-b", "1"])


def _typo(flag, rng):
    body = flag[2:]
    if len(body) < 4:
        return flag + "x"
    i = rng.randrange(1, len(body) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        body = body[:i] + body[i + 1:]
    elif kind == 1:
        body = body[:i] + body[i + 1] + body[i] + body[i + 2:]
    elif kind == 2:
        body = body[:i] + rng.choice("aeiosx") + body[i:]
    else:
        body = body[:i] + rng.choice("aeiosx") + body[i + 1:]
    return "--" + body


def generate(version: str, n: int = 3000, seed: int = 16) -> list[list[str]]:
    """About ``n`` command lines (the words after ``vllm serve``) for one release, deterministic."""
    sys.path.insert(0, str(HERE))
    from vllm_cli_samples import TYPE_SAMPLES

    from vllm_lint.vllm.release import load_release

    rel = load_release(version)
    rng = random.Random(f"{seed}-{version}")
    opts = [o for o in rel.options() if o.canonical not in ("--help", "--version", "--config")]
    longs = sorted({f for o in opts for f in o.flags if f.startswith("--")})
    lines: list[list[str]] = []

    def add(*words):
        lines.append([MODEL, *words])

    for o in opts:
        f = o.canonical
        if o.nargs == 0:
            add(f)
            add(f + "=" + rng.choice(["true", "false", "1"]))
            add("--" + f[2:].replace("-", "_"))
            for neg in o.negatives[:1]:
                add(neg)
            add(f, "true")  # a flag followed by a word: the word is a second positional
            continue
        good = _good_value(o, rng)
        add(f, good)
        add(f + "=" + good)
        add("--" + f[2:].replace("-", "_"), good)
        add(f)  # missing value
        if o.choices:
            c = [x for x in o.choices if x is not None]
            if c:
                pick = str(rng.choice(c))
                add(f, pick.upper() if pick.upper() != pick else pick.lower())
                add(f, "bogus-" + pick)
                add(f, pick.replace("_", "-") if "_" in pick else pick.replace("-", "_"))
            add(f, "none")
            add(f, "None")
        for s in rng.sample(TYPE_SAMPLES, 4):
            add(f + "=" + s if s.startswith("-") or s == "" else f, *([] if s.startswith("-") or s == "" else [s]))
        if o.nargs in ("+", "*"):
            add(f, good, good)
            add(f, good, "@bad", good)
        if o.is_json:
            keys = list(o.json_keys or ())
            if keys:
                k = rng.choice(keys)
                add(f + "." + k, rng.choice(["1", "true", "x", "[1, 2]", "{}"]))
                add(f + "." + k + "=" + rng.choice(["1", "2", "x"]))
                add(f, json.dumps({k: rng.choice([1, True, "x", None, [1, 2]])}))
                add(f, f"{k}=1")
                add(f, f"{k}:1")
                add(f, "{" + k + ": 1}")
            add(f + ".bogus_key", "1")
            add(f, "[1, 2]")
            add(f, "{bad")
            add(f, "")
        add(_typo(f, rng), good)
        # abbreviations: a prefix of the flag (unique or ambiguous)
        for cut in (len(f) - 2, max(4, len(f) // 2)):
            pre = f[:cut]
            if pre not in longs:
                add(pre, good)
    # random typos of flags and of words
    for _ in range(300):
        o = rng.choice(opts)
        words = [_typo(o.canonical, rng)]
        if o.nargs != 0:
            words.append(_good_value(o, rng))
        add(*words)
    for pre in ("--dis", "--en", "--max", "--kv", "--tool", "--model-", "--tok", "--no-en", "--enable-p", "--lo"):
        add(pre)
        add(pre, "1")
    # -O / -cc forms, -- and the positional model
    for w in ("-O3", "-O", "-O0", "-O1", "-Ox", "-O{}", "-O.level", "-O=3", "-Odecode", "-O.mode", "-cc.mode",
              "-cc", "-O4", "-O-1", "-O3.5"):
        add(w)
        add(w, "3")
        add(w, '{"level": 3}')
    for w in ("--enforce-eager", "--port", "org/other", "-tp", "2"):
        add("--", w)
    lines.append(["--model", MODEL])
    lines.append(["--model=" + MODEL])
    lines.append([MODEL, "--model", MODEL])
    lines.append([MODEL, "--model", "other/model"])
    lines.append([MODEL, "--model=" + MODEL])
    lines.append(["--model", MODEL, "--port", "8000"])
    lines.append(["--port", "8000", MODEL])
    lines.append([MODEL, "other/model"])
    lines.append([])
    # combinations of valid options (the serve checks look at several at once)
    checked = ["--enable-auto-tool-choice", "--tool-call-parser", "--enable-log-outputs", "--enable-log-requests",
               "--reasoning-parser", "--enable-reasoning", "--tool-parser-plugin", "--api-server-count", "--headless",
               "--data-parallel-size", "--enable-prompt-tokens-details", "--return-tokens-as-token-ids",
               "--ssl-keyfile", "--ssl-certfile", "--enable-lora", "--lora-modules", "--enable-sleep-mode",
               "--structured-outputs-config.backend", "--speculative-config", "--enable-force-include-usage"]
    have = [f for f in checked if rel.option(f) is not None]
    for _ in range(400):
        words = []
        for f in rng.sample(have, min(len(have), rng.randrange(1, 4))) + \
                [rng.choice(opts).canonical for _ in range(rng.randrange(0, 3))]:
            o = rel.option(f)
            words.append(f)
            if o is not None and o.nargs != 0:
                words.append("hermes" if f == "--tool-call-parser" else _good_value(o, rng))
        add(*words)
    seen, out = set(), []
    for words in lines:
        key = json.dumps(words)
        if key not in seen and "\n" not in key:
            seen.add(key)
            out.append(words)
    if len(out) > n:
        keep = set(rng.sample(range(len(out)), n))
        out = [w for i, w in enumerate(out) if i in keep]
    return out


# ------------------------------------------------------------------ the real parser (vLLM env)

class _Captured(Exception):
    pass


def _load_real(version, src, stubs, overlay):
    """``(top parser, serve post-parse check or None)`` of one release, as ``dump_vllm_cli.worker`` builds it."""
    import argparse as _ap

    import dump_vllm_cli as D

    for k, v in (("VLLM_LOGGING_LEVEL", "ERROR"), ("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                 ("VLLM_NO_USAGE_STATS", "1"), ("DO_NOT_TRACK", "1"), ("CUDA_VISIBLE_DEVICES", ""),
                 ("TOKENIZERS_PARALLELISM", "false"), ("VLLM_TARGET_DEVICE", "cpu")):
        os.environ.setdefault(k, v)
    root = os.path.join(src, version)
    if overlay:
        sys.path.insert(0, overlay)
    sys.path.insert(0, root)
    # subprocesses vLLM starts itself (the model registry's inspection) import the same release tree
    os.environ["PYTHONPATH"] = os.pathsep.join([root] + ([overlay] if overlay else []))
    if stubs:
        sys.meta_path.insert(0, D._StubFinder(stubs))
    for name in D.hidden_modules(version):
        sys.modules[name] = None
    sys.argv = ["vllm", "serve", MODEL, "--help"]
    D._torch_shims()
    import importlib.metadata as md

    real_version = md.version
    md.version = lambda name: (real_version(name) + "+cpu") if name == "vllm" and "cpu" not in real_version(name) \
        else real_version(name)
    import vllm  # noqa: F401

    D._force_cpu_platform()
    if os.path.exists(os.path.join(root, "vllm/entrypoints/cli/main.py")):
        from vllm.entrypoints.cli import main as climain
        main_fn = climain.main
    else:
        from vllm import scripts
        main_fn = scripts.main
    try:
        from vllm.utils.argparse_utils import FlexibleArgumentParser as FAP
    except ImportError:
        from vllm.utils import FlexibleArgumentParser as FAP
    orig = FAP.parse_args

    def capture(self, args=None, namespace=None):
        raise _Captured(self)

    FAP.parse_args = capture
    top = None
    try:
        main_fn()
    except _Captured as c:
        top = c.args[0]
    finally:
        FAP.parse_args = orig
    sys.argv = ["vllm"]
    assert isinstance(top, _ap.ArgumentParser)
    post = None
    try:
        from vllm.entrypoints.cli import serve as serve_mod

        sc = getattr(serve_mod, "ServeSubcommand", None)
        if sc is not None and hasattr(sc, "validate"):
            post = sc().validate
    except Exception:  # noqa: BLE001  (releases before the CLI sub-commands: the function below)
        post = None
    if post is None:
        try:
            from vllm.entrypoints.openai.cli_args import validate_parsed_serve_args as post
        except Exception:  # noqa: BLE001
            post = None
    return top, post


def _clean(msg: str) -> str:
    msg = re.sub(r" at 0x[0-9a-f]+>", " at 0x...>", msg)
    return re.sub(r"/[^\s'\"]*/(vllm/[^\s'\"]*)", r"<site-packages>/\1", msg)


def _engine_check(ns, model_dir):
    """What ``EngineArgs.from_cli_args(ns).create_engine_config()`` says (None: it built a config)."""
    import copy

    try:
        from vllm.engine.arg_utils import AsyncEngineArgs as EA
    except ImportError:
        return "no EngineArgs"
    ns = copy.deepcopy(ns)  # create_engine_config writes into config objects the parser shares between lines
    if getattr(ns, "model_tag", None) not in (None, ""):
        ns.model_tag = model_dir
    ns.model = model_dir
    for k in ("tokenizer",):
        if getattr(ns, k, None) in (None, MODEL):
            setattr(ns, k, model_dir)
    environ = dict(os.environ)
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args = EA.from_cli_args(ns)
            args.create_engine_config()
    except SystemExit as e:
        return f"SystemExit: {e.code}"
    except BaseException as e:  # noqa: BLE001
        return _clean(f"{type(e).__name__}: {e}")[:300]
    finally:
        # every line starts as a fresh `vllm serve` would: 0.9.2's create_engine_config sets VLLM_USE_V1 in
        # os.environ (envs.set_vllm_use_v1, vllm/envs.py:986 (0.9.2)), after which _raise_or_fallback raises
        # "VLLM_USE_V1=1 is not supported with ..." on every later line instead of falling back to V0
        os.environ.clear()
        os.environ.update(environ)
    return None


#: Engine stops of this CPU-only, offline harness that a launch on a CUDA host does not have: counted apart
#: (``engine_platform``), never as a line vllm-lint should catch. Each with the source that says so.
PLATFORM_ONLY = [
    ("Sleep mode is not supported on current platform",
     "is_sleep_mode_available is true on CUDA and ROCm (vllm/platforms/interface.py:193 (0.20.2))"),
    ("requires intel_extension_for_pytorch", "the CPU platform's block-size check (vllm/platforms/cpu.py:145 (0.11.0))"),
    ("only supported on CUDA devices", "EPLB's platform check (vllm/config/parallel.py:425 (0.11.0), :447 (0.20.2))"),
    ("on the CPU backend", "the CPU platform's KV-cache check (vllm/platforms/cpu.py:143 (0.20.2))"),
    ("Too large swap space", "compares with this host's memory (vllm/config/cache.py:218 (0.11.0))"),
    ("Invalid repository ID or local directory", "a Hub lookup (--hf-config-path, --tokenizer): offline here"),
    ("Cannot find an appropriate cached snapshot", "a Hub lookup (--tokenizer): offline here"),
    ("outgoing traffic has been disabled", "a Hub lookup: offline here"),
    ("Failed to import Ray", "Ray is not installed here; vLLM's images ship it"),
    ("Either model_file or model_proto must be specified",
     "the reasoning parser loads the tokenizer, which the test model folder (a config.json only) lacks "
     "(vllm/config/reasoning.py:59 (0.19.1))"),
    ("Couldn't instantiate the backend tokenizer",
     "the same tokenizer load in 0.33.0's words: the test model folder has no tokenizer files"),
]


def platform_only(said: str | None) -> bool:
    return bool(said) and any(text in said for text, _ in PLATFORM_ONLY)


def real(version, src, stubs, overlay, lines_path, out_path, engine_dir=None):
    sys.path.insert(0, str(HERE))
    top, post = _load_real(version, src, stubs, overlay)
    lines = json.loads(pathlib.Path(lines_path).read_text())
    out = []
    for argv in lines:
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                ns = top.parse_args(["serve", *argv])
        except SystemExit:
            full = err.getvalue()
            i = full.find(": error: ")
            out.append({"ok": False, "error": _clean(full[i + 9:].strip() if i >= 0 else full.strip()[-300:]),
                        "by": "argparse"})
            continue
        except BaseException as e:  # noqa: BLE001
            out.append({"ok": False, "error": _clean(f"{type(e).__name__}: {e}")[:300], "by": "vllm"})
            continue
        v = {"ok": True}
        if post is not None:
            import copy

            try:
                with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                    post(copy.copy(ns))
            except SystemExit as e:
                v["post"] = f"SystemExit: {e.code}"
            except BaseException as e:  # noqa: BLE001
                v["post"] = _clean(f"{type(e).__name__}: {e}")[:300]
        if engine_dir and "post" not in v:
            said = _engine_check(ns, engine_dir)
            if said:
                v["engine"] = said
        out.append(v)
    pathlib.Path(out_path).write_text(json.dumps(out))


def run_real(py, version, src, overlays, lines_path, out_path, engine_dir=None):
    """``real`` in the vLLM env, adding stand-in modules for what cannot be imported, as ``dump`` does."""
    sys.path.insert(0, str(HERE))
    import dump_vllm_cli as D

    reqs = D.overlay_requirements(version, src)
    ov = D.ensure_overlay(reqs, overlays) if reqs else None
    stubs: list[str] = []
    for _ in range(12):
        cmd = [py, str(pathlib.Path(__file__).resolve()), "real", version, "--src", src, "--lines", str(lines_path),
               "--out", str(out_path), "--stubs", ",".join(stubs)] + (["--overlay", ov] if ov else []) + \
              (["--engine", engine_dir] if engine_dir else [])
        p = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
        if p.returncode == 0:
            return stubs
        m = re.findall(r"ModuleNotFoundError: No module named '([^']+)'", p.stderr)
        missing = m[-1].split(".")[0] if m else None
        if missing and not missing.startswith("vllm") and missing not in stubs:
            stubs.append(missing)
            continue
        raise RuntimeError(f"{version}: real parser failed:\n" + "\n".join(p.stderr.splitlines()[-20:]))
    raise RuntimeError(f"{version}: too many stand-in modules: {stubs}")


# ------------------------------------------------------------------ vllm-lint's side (project env)

def _script(version, lines):
    body = [f"pip install vllm=={version}"]
    for argv in lines:
        body.append("vllm serve " + " ".join(shlex.quote(w) for w in argv) if argv else "vllm serve")
    return "\n".join(body) + "\n"


def _lint_dir(folder: pathlib.Path, select):
    from vllm_lint import engine
    from vllm_lint.config import Settings
    from vllm_lint.engine import check, load_project, select_rules

    # one script holds thousands of launches: lift the caps that keep a real report readable
    engine.MAX_FINDINGS_PER_FILE = engine.MAX_FINDINGS_PER_RUN = engine.MAX_FINDINGS_PER_LAUNCH = 10 ** 9
    settings = Settings(root=folder, offline=True)
    project = load_project([folder], settings, cwd=folder)
    return check(project, select_rules(settings, list(select)))


#: the words of a VLL209 finding about the engine config (EngineArgs.create_engine_config), not the serve checks
ENGINE_STAGE = "stops building the engine config"


def _code(f) -> str:
    """A finding's code; VLL209's engine-config findings are ``VLL209:engine`` (judged against ``--engine``)."""
    return f"{f.code}:engine" if f.code == "VLL209" and ENGINE_STAGE in f.message else f.code


def lint_lines(version, lines, folder: pathlib.Path):
    """vllm-lint's verdict per line: the emulated parse and the findings of a script running it."""
    from vllm_lint.vllm.release import load_release

    rel = load_release(version)
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "run.sh"
    script.write_text(_script(version, lines))
    result = _lint_dir(folder, ["VLL2"])
    by_line: dict[int, list] = {}
    for f in result.findings:
        by_line.setdefault(f.span.line, []).append(f)
    out = []
    for i, argv in enumerate(lines):
        r = rel.parse(argv, model=None)
        fs = by_line.get(i + 2, [])
        out.append({"ok": r.ok, "error": r.error if not r.ok else None,
                    "codes": sorted({_code(f) for f in fs}),
                    "messages": [f"{f.code}: {f.message}" for f in fs if f.code in (*REJECTING, "VLL209")],
                    "fixes": [[f.code, f.fix.description, f.fix.safe] for f in fs if f.fix and f.fix.edits]})
    return out


def lint_engine_lines(version, lines, folder: pathlib.Path, model_dir: str):
    """For the engine's post-parse validation: every rule's error findings per line, the model being a copy of
    ``model_dir`` (its ``config.json``) beside the script, as the real side's ``create_engine_config`` saw it."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model").mkdir(exist_ok=True)
    shutil.copy(pathlib.Path(model_dir, "config.json"), folder / "model" / "config.json")
    local = [["./model" if w == MODEL else w for w in argv] for argv in lines]
    (folder / "run.sh").write_text(_script(version, local))
    from vllm_lint import engine
    from vllm_lint.config import Settings
    from vllm_lint.engine import check, load_project, select_rules

    engine.MAX_FINDINGS_PER_FILE = engine.MAX_FINDINGS_PER_RUN = engine.MAX_FINDINGS_PER_LAUNCH = 10 ** 9
    settings = Settings(root=folder, offline=True)
    project = load_project([folder], settings, cwd=folder)
    result = check(project, select_rules(settings, None))
    by_line: dict[int, list] = {}
    for f in result.findings:
        if f.severity == "error" and f.span.path == "run.sh":
            by_line.setdefault(f.span.line - 2, []).append(f"{f.code}: {f.message}")
    return [by_line.get(i, []) for i in range(len(lines))]


def fix_lines(version, lines, folder: pathlib.Path, unsafe: bool):
    """Apply vllm-lint's fixes (``--fix``, or ``--fix --unsafe-fixes``) to the script of the lines, lint again
    until stable (as ``fix_run`` does), and return ``{index: fixed argv}`` for the lines that changed."""
    from vllm_lint.fixes.apply import MAX_PASSES, plan

    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "run.sh"
    text = _script(version, lines)
    script.write_text(text)
    for _ in range(MAX_PASSES):
        result = _lint_dir(folder, ["VLL2"])
        entries = plan(result.findings, result.project, unsafe)
        entry = entries.get("run.sh") or next(iter(entries.values()), None)
        if entry is None or entry.fixed == script.read_text():
            break
        script.write_text(entry.fixed)
    new = script.read_text().splitlines()[1:]
    if len(new) != len(lines):
        raise RuntimeError("a fix changed the number of lines")
    out = {}
    for i, (argv, line) in enumerate(zip(lines, new)):
        words = shlex.split(line)[2:]
        if words != argv:
            out[i] = words
    return out


def _same_message(lint_error, real_error):
    if lint_error is None or real_error is None:
        return lint_error == real_error
    def norm(s):  # pydantic's link to its docs names its own version: not vLLM's words
        return re.sub(r"\s+", " ", re.sub(r"\n\s*For further information visit \S+", "", s).strip())
    return norm(lint_error) == norm(real_error)


def _same_engine_message(lint_message: str, real_error: str) -> bool:
    """Whether a VLL209 engine-config finding says what vLLM said: the exception, and for pydantic the error count,
    class, field and message lines. pydantic's ``[type=..., input_value=..., input_type=...]`` tail of a ``Value
    error`` line and its docs link are left out of both; a field error keeps its ``Input should ...`` words."""
    i = lint_message.find(ENGINE_STAGE + ": ")
    if i < 0:
        return False

    def lines(text):
        out = []
        for ln in text.splitlines():
            if "For further information" in ln or (ln.strip() and "For further information".startswith(ln.strip())):
                continue  # pydantic's docs link, or the start of it where the 300 characters kept end
            if "Value error, " in ln or "Assertion failed, " in ln:
                ln = ln.split(" [type=", 1)[0]
            out.append(ln)
        return out

    mine = lines(lint_message[i + len(ENGINE_STAGE) + 2:].rsplit(" (vllm/", 1)[0])
    real = lines(real_error)
    if len(real_error) < 300:  # ``real`` keeps the first 300 characters of what vLLM said
        return real == mine
    n = len(real)  # the last line is cut: within our line, or within pydantic's " [type=..." tail after it
    cut = real[n - 1]
    return len(mine) >= n and mine[:n - 1] == real[:n - 1] and \
        (mine[n - 1].startswith(cut) or (cut.startswith(mine[n - 1]) and cut[len(mine[n - 1]):].startswith(" [")))


def compare(version, lines, real_v, lint_v, fixed: dict, fixed_real: dict):
    n = len(lines)
    parse_agree = sum(r["ok"] == m["ok"] for r, m in zip(real_v, lint_v))
    find_agree = sum(r["ok"] == (not any(c in REJECTING for c in m["codes"])) for r, m in zip(real_v, lint_v))
    rejected = [(r, m) for r, m in zip(real_v, lint_v) if not r["ok"] and not m["ok"]]
    msg_agree = sum(_same_message(m["error"], r["error"]) for r, m in rejected)
    posts = [(r, m) for r, m in zip(real_v, lint_v) if r["ok"] and m["ok"]]
    post_agree = sum(bool(r.get("post")) == ("VLL209" in m["codes"]) for r, m in posts)
    real_post = sum(bool(r.get("post")) for r, _ in posts)
    caught_post = sum(bool(r.get("post")) and "VLL209" in m["codes"] for r, m in posts)
    report = {
        "version": version, "lines": n, "parse_agree": parse_agree, "findings_agree": find_agree,
        "rejected_both": len(rejected), "message_agree": msg_agree,
        "accepted_both": len(posts), "post_agree": post_agree, "post_real": real_post, "post_caught": caught_post,
    }
    for mode in ("safe", "unsafe"):
        fx = fixed.get(mode, {})
        fr = fixed_real.get(mode, {})
        ok = sum(1 for i in fx if fr[str(i)]["ok"])
        # rejected after the fix for the same reason as before: a defect the fix did not touch (reported apart)
        remains = sum(1 for i in fx if not fr[str(i)]["ok"] and fr[str(i)]["error"] == real_v[int(i)].get("error"))
        report[f"fixed_{mode}"] = len(fx)
        report[f"fixed_{mode}_accepted"] = ok
        report[f"fixed_{mode}_other_defect"] = remains
    return report


def disagreements(lines, real_v, lint_v, fixed, fixed_real, limit=40):
    """The lines whose verdicts differ, and the fixed lines the real parser rejects for a new reason."""
    out = []
    for i, (argv, r, m) in enumerate(zip(lines, real_v, lint_v)):
        rej = any(c in REJECTING for c in m["codes"])
        if r["ok"] != m["ok"] or r["ok"] == rej:
            out.append(("verdict", argv, r, {k: m[k] for k in ("ok", "error", "messages")}))
    for mode in ("safe", "unsafe"):
        for i, words in fixed.get(mode, {}).items():
            fr = fixed_real[mode][str(i)]
            if not fr["ok"] and fr["error"] != real_v[int(i)].get("error"):
                out.append((f"fix-{mode}", lines[int(i)], words, fr))
    return out[:limit] if limit else out


def _kept_fixes(lines, real_v, fixed, fixed_real):
    """Every line a fix rewrote: [argv, mode, fixed argv, real verdict of the fixed line, of the original]."""
    out = []
    for mode in ("safe", "unsafe"):
        for i, words in sorted(fixed.get(mode, {}).items(), key=lambda kv: int(kv[0])):
            fr = {k: v for k, v in fixed_real[mode][str(i)].items() if k in ("ok", "error")}
            orig = {k: v for k, v in real_v[int(i)].items() if k in ("ok", "error")}
            out.append([lines[int(i)], mode, words, fr, orig])
    return out


def _keep(version, lines, real_v, lint_v, n, seed=16):
    """``n`` lines with their real verdicts, weighted to the rejected and the disagreeing ones."""
    rng = random.Random(f"{seed}-keep-{version}")
    idx = list(range(len(lines)))
    bad = [i for i in idx if not real_v[i]["ok"] or real_v[i].get("post") or real_v[i].get("engine")]
    diff = [i for i in idx if real_v[i]["ok"] != lint_v[i]["ok"]]
    take = set(diff[: n // 4])
    take |= set(rng.sample(bad, min(len(bad), n // 2)))
    rest = [i for i in idx if i not in take]
    take |= set(rng.sample(rest, min(len(rest), n - len(take))))
    cases = []
    for i in sorted(take):
        v = {k: real_v[i][k] for k in ("ok", "error", "post", "engine") if real_v[i].get(k) is not None}
        cases.append([lines[i], v])
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd")
    g = sub.add_parser("generate")
    g.add_argument("version")
    g.add_argument("--n", type=int, default=3000)
    g.add_argument("--out", required=True)
    r = sub.add_parser("real")
    r.add_argument("version")
    r.add_argument("--src", required=True)
    r.add_argument("--lines", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--stubs", default="")
    r.add_argument("--overlay", default=None)
    r.add_argument("--engine", default=None, help="a model folder with a config.json: run create_engine_config")
    u = sub.add_parser("run")
    u.add_argument("versions", nargs="+")
    u.add_argument("--python", required=True, help="the scratch vLLM venv's python")
    u.add_argument("--src", required=True)
    u.add_argument("--overlays", required=True)
    u.add_argument("--work", required=True)
    u.add_argument("--n", type=int, default=3000)
    u.add_argument("--keep", type=int, default=0, help="store this many lines per release as test data")
    u.add_argument("--engine", default=None)
    u.add_argument("--reuse", action="store_true", help="reuse the real verdicts of the lines already in WORK")
    a = ap.parse_args()
    if a.cmd == "generate":
        pathlib.Path(a.out).write_text(json.dumps(generate(a.version, a.n)))
    elif a.cmd == "real":
        real(a.version, a.src, [s for s in a.stubs.split(",") if s], a.overlay, a.lines, a.out, a.engine)
    elif a.cmd == "run":
        for v in a.versions:
            _run_one(a, v)
    else:
        ap.print_help()


def _run_one(a, v):
    work = pathlib.Path(a.work, v)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    lines_p, real_p = work / "lines.json", work / "real.json"
    if not (a.reuse and lines_p.exists() and real_p.exists()):
        lines = generate(v, a.n)
        lines_p.write_text(json.dumps(lines))
        run_real(a.python, v, a.src, a.overlays, lines_p, real_p, a.engine)
    lines = json.loads(lines_p.read_text())
    real_v = json.loads(real_p.read_text())
    lint_v = lint_lines(v, lines, work / "lint")
    (work / "lint.json").write_text(json.dumps(lint_v))
    fixed, fixed_real = {}, {}
    for mode in ("safe", "unsafe"):
        fixed[mode] = fix_lines(v, lines, work / f"fix-{mode}", unsafe=mode == "unsafe")
        fl = work / f"fixed-{mode}.json"
        keys = sorted(fixed[mode])
        fl.write_text(json.dumps([fixed[mode][i] for i in keys]))
        fr = {}
        if keys:
            out = work / f"fixed-{mode}-real.json"
            run_real(a.python, v, a.src, a.overlays, fl, out)
            fr = {str(i): x for i, x in zip(keys, json.loads(out.read_text()))}
        fixed_real[mode] = fr
        fixed[mode] = {str(i): w for i, w in fixed[mode].items()}
    (work / "fixes.json").write_text(json.dumps({"fixed": fixed, "fixed_real": fixed_real}))
    rep = compare(v, lines, real_v, lint_v, {m: {int(k): w for k, w in d.items()} for m, d in fixed.items()},
                  fixed_real)
    if a.engine:  # the engine's own validation (create_engine_config) on the lines parser and serve checks pass
        eng = lint_engine_lines(v, lines, work / "engine-lint", a.engine)
        (work / "engine-lint.json").write_text(json.dumps(eng))
        passed = [i for i, r in enumerate(real_v) if r["ok"] and not r.get("post")]
        rep["engine_platform"] = sum(1 for i in passed if platform_only(real_v[i].get("engine")))
        passed = [i for i in passed if not platform_only(real_v[i].get("engine"))]
        stopped = [i for i in passed if real_v[i].get("engine")]
        rep["engine_checked"] = len(passed)
        rep["engine_real"] = len(stopped)
        rep["engine_caught"] = sum(1 for i in stopped if eng[i])
        rep["engine_extra"] = sum(1 for i in passed if not real_v[i].get("engine") and eng[i])
        # findings that say vLLM stops (parser, serve checks, engine config) on lines the engine accepted
        stops = [[m for m in eng[i] if m.split(":", 1)[0] in (*REJECTING, "VLL209", *MODEL_STOPS)]
                 for i in range(len(lines))]
        rep["engine_caught_stop"] = sum(1 for i in stopped if stops[i])
        rep["engine_extra_stop"] = sum(1 for i in passed if not real_v[i].get("engine") and stops[i])
        # vLLM prints the first error it meets; a line with several has several findings: one must say it
        said = [(real_v[i]["engine"], [m for m in eng[i] if ENGINE_STAGE in m]) for i in stopped]
        said = [(r, ms) for r, ms in said if ms]
        rep["engine_message_agree"] = f"{sum(any(_same_engine_message(m, r) for m in ms) for r, ms in said)}/{len(said)}"
    rep["seconds"] = round(time.time() - t0)
    print(json.dumps(rep), flush=True)
    dis = disagreements(lines, real_v, lint_v, fixed, fixed_real, limit=0)
    (work / "disagreements.json").write_text(json.dumps(dis, indent=1))
    if a.keep:
        VERDICT_DIR.mkdir(parents=True, exist_ok=True)
        cases = _keep(v, lines, real_v, lint_v, a.keep)
        doc = {"version": v, "model": MODEL, "source": "knowledge/tools/differential_parser.py (real parse_args)",
               "cases": cases, "fixes": _kept_fixes(lines, real_v, fixed, fixed_real)}
        (VERDICT_DIR / f"{v}.json").write_text(
            '{"version":' + json.dumps(v) + ',"model":' + json.dumps(MODEL) + ',"source":' +
            json.dumps(doc["source"]) + ',\n"cases":[\n' +
            ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + '],\n"fixes":[\n' +
            ",\n".join(json.dumps(c, ensure_ascii=False) for c in doc["fixes"]) + "]}\n")


if __name__ == "__main__":
    main()
