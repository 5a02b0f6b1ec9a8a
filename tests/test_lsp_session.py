"""The language server's session, in process (no pygls): linting unsaved text through the overlay, hovers and
completions in compose files, scripts and vLLM config files."""
from conftest import write

from vllm_lint.lsp.session import Session, uri_of
from vllm_lint.sources.overlay import overlay, text_of

COMPOSE = """
services:
  llm:
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "32768", "--config", "/cfg/vllm.yaml"]
    volumes: ["./cfg:/cfg"]
"""
CONFIG = "gpu-memory-utilization: 0.9\nkv-cache-dtype: fp8\n"


def session(tmp_path, **options):
    return Session({"offline": True, **options}, root=tmp_path)


def test_the_overlay_holds_only_inside_its_block(tmp_path):
    write(tmp_path, {"a.yml": "x: 1\n"})
    with overlay({tmp_path / "a.yml": "x: 2\n"}):
        assert text_of(tmp_path / "a.yml") == "x: 2\n"
        from vllm_lint.sources.source_file import read_text

        assert read_text(tmp_path / "a.yml") == "x: 2\n"
    assert text_of(tmp_path / "a.yml") is None


def test_unsaved_text_is_linted_and_the_disk_is_not(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "cfg/vllm.yaml": CONFIG})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, COMPOSE.lstrip("\n").replace("v0.11.0", "latest"), 1)
    lint = s.lint(uri)
    assert "VLL102" in [f.code for f in lint.result.findings]
    assert "latest" not in (tmp_path / "compose.yaml").read_text()
    # the --config file is part of the project: it gets diagnostics with it
    assert str(tmp_path / "cfg" / "vllm.yaml") in s.files_of(uri)


def test_hover_without_gpus_says_why_there_is_no_estimate(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "cfg/vllm.yaml": CONFIG})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    text = (tmp_path / "compose.yaml").read_text()
    s.open(uri, text, 1)
    line = text.splitlines()[3]
    hover = s.hover(uri, 3, line.index("--max-model-len") + 2)
    assert "**`--max-model-len`** · vLLM 0.11.0" in hover and "· `32768`" in hover
    assert "Memory per GPU**: no estimate (no GPU known" in hover
    assert s.hover(uri, 3, line.index("Qwen/Qwen3-8B") + 2) is not None or True  # the model: no option hover needed
    assert s.hover(uri, 0, 0) is None


def test_hover_with_gpus_in_a_config_file_key(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "cfg/vllm.yaml": CONFIG})
    s = session(tmp_path, gpu="a100-80gb")
    cfg_uri = uri_of(tmp_path / "cfg" / "vllm.yaml")
    s.open(uri_of(tmp_path / "compose.yaml"), (tmp_path / "compose.yaml").read_text(), 1)
    s.lint(uri_of(tmp_path / "compose.yaml"))
    s.open(cfg_uri, CONFIG, 1)
    hover = s.hover(cfg_uri, 1, 3)  # kv-cache-dtype in the --config file, linted with its compose file
    assert hover is not None and "--kv-cache-dtype" in hover, hover
    assert "choices:" in hover and "Memory per GPU" in hover and "A100" in hover and "headroom" in hover


def test_completion_in_a_vllm_config_file_and_a_script(tmp_path):
    write(tmp_path, {"vllm.yaml": "model: Qwen/Qwen3-8B\nmax-model-len: 4096\n",
                     "start.sh": "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --kv-cache-dtype fp8 \\\n  --enable-pre\n"})
    s = session(tmp_path, vllmVersion="0.11.0")
    uri = uri_of(tmp_path / "vllm.yaml")
    s.open(uri, "model: Qwen/Qwen3-8B\nmax-model-len: 4096\ngpu-mem\nkv-cache-dtype: \n", 1)
    s.lint(uri)
    keys = s.completions(uri, 2, len("gpu-mem"))
    assert [c.label for c in keys] == ["gpu-memory-utilization"] and keys[0].insert == "gpu-memory-utilization: "
    values = [c.label for c in s.completions(uri, 3, len("kv-cache-dtype: "))]
    assert "auto" in values and "fp8" in values
    script = uri_of(tmp_path / "start.sh")
    text = (tmp_path / "start.sh").read_text()
    s.open(script, text, 1)
    items = s.completions(script, 2, len("  --enable-pre"))
    assert "--enable-prefix-caching" in [c.label for c in items]
    assert all(c.start == 2 and c.end == len("  --enable-pre") for c in items)
    # after a flag with choices (written on the line above, continued with \)
    s.change(script, "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --kv-cache-dtype \\\n  fp\n", 2)
    assert "fp8" in [c.label for c in s.completions(script, 2, len("  fp"))]
    s.change(script, "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --kv-cache-dtype=f\n", 3)
    assert [c.label for c in s.completions(script, 1, len("vllm serve Qwen/Qwen3-8B --kv-cache-dtype=f"))][:1] == ["fp8"]


def test_hover_says_deprecated_and_unknown(tmp_path):
    text = ('services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n'
            '    command: ["--model", "m", "--disable-log-requests", "--swap-spaces", "4"]\n')
    write(tmp_path, {"compose.yaml": text})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, text, 1)
    line = text.splitlines()[3]
    deprecated = s.hover(uri, 3, line.index("--disable-log-requests") + 3)
    assert "**deprecated**" in deprecated and "vLLM 0.11.0" in deprecated
    unknown = s.hover(uri, 3, line.index("--swap-spaces") + 3)
    assert "not an option of this release" in unknown


def test_an_unknown_gpu_is_a_lint_error_not_a_crash(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE})
    s = session(tmp_path, gpu="2x a100")
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, COMPOSE, 1)
    lint = s.lint(uri)
    assert lint.result is None and lint.error.startswith("hardware: unknown GPU '2x a100'"), lint.error
    assert s.hover(uri, 3, 30) is None and s.actions(uri, 0, 5) == []


def test_a_configuration_error_is_a_lint_error_not_a_crash(tmp_path):
    write(tmp_path, {".vllm-lint.yaml": "select: 3\n", "compose.yaml": COMPOSE})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, COMPOSE, 1)
    lint = s.lint(uri)
    assert lint.result is None and "invalid configuration" in lint.error


FIVE = """
services:
  llm:
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "32768", "--gpu-memory-utilization", "0.9",
              "--tensor-parallel-size", "2", "--kv-cache-dtype", "fp8", "--max-num-seqs", "64",
              "--enable-prefix-caching"]
"""
MEMORY_FLAGS = ["--max-model-len", "--gpu-memory-utilization", "--tensor-parallel-size", "--kv-cache-dtype",
                "--max-num-seqs"]


def _hover_on(s, uri, text, needle):
    lines = text.splitlines()
    line = next(i for i, line in enumerate(lines) if needle in line)
    return s.hover(uri, line, lines[line].index(needle) + 3)


def _memory_rows(hover: str) -> list[list[str]]:
    table = [line for line in hover.splitlines() if line.startswith("| ") and ("rtx-" in line or "a100-" in line)]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in table]


def test_hover_on_each_memory_option_shows_the_memory_per_gpu(tmp_path):
    """GPUs from the initialization options (`gpu`, as --gpu) when the configuration names none: each of the
    five memory options shows weights, KV cache GiB and tokens, maximum concurrency and headroom per GPU."""
    write(tmp_path, {"compose.yaml": FIVE})
    s = session(tmp_path, gpu="a100-80gb")
    uri = uri_of(tmp_path / "compose.yaml")
    text = (tmp_path / "compose.yaml").read_text()
    s.open(uri, text, 1)
    hovers = {flag: _hover_on(s, uri, text, flag) for flag in MEMORY_FLAGS}
    for flag, hover in hovers.items():
        assert f"**`{flag}`** · vLLM 0.11.0" in hover, hover
        assert "**Memory per GPU** · Qwen/Qwen3-8B on 2× A100" in hover and "tensor parallel 2" in hover, hover
        rows = _memory_rows(hover)
        assert len(rows) == 2, hover  # one row per GPU
        weights, kv, headroom = float(rows[0][2]), float(rows[0][6]), float(rows[0][8])
        assert 7 < weights < 9 and kv > 20 and headroom > 0, rows  # 8B in bf16 over 2 GPUs: ~7.6 GiB each
        assert " tokens** for --max-model-len 32,768" in hover and "maximum concurrency **" in hover, hover
    # the same estimate whichever option the cursor is on
    assert len({h.split("---", 1)[1] for h in hovers.values()}) == 1
    # an option that is not a memory option: its documentation only
    other = _hover_on(s, uri, text, "--enable-prefix-caching")
    assert "**`--enable-prefix-caching`**" in other and "Memory per GPU" not in other


def test_the_configuration_hardware_wins_over_the_gpu_option(tmp_path):
    write(tmp_path, {"compose.yaml": FIVE, ".vllm-lint.yaml": "hardware: rtx-4090\n"})
    s = session(tmp_path, gpu="a100-80gb")
    uri = uri_of(tmp_path / "compose.yaml")
    text = (tmp_path / "compose.yaml").read_text()
    s.open(uri, text, 1)
    hover = _hover_on(s, uri, text, "--max-num-seqs")
    assert "on 2× RTX 4090" in hover and "A100" not in hover, hover
    assert "KV cache: **" in hover and "headroom" in hover


FIXABLE = """
services:
  llm:
    image: vllm/vllm-openai:v0.11.0
    environment:
      - VLLM_ATTENTION_BACKEND=FLASH_ATTENTION
      - VLLM_USE_V1=yes
    command: ["--model", "Qwen/Qwen3-8B", "--dtype", "halff", "--mm-encoder-tp-mode", "replicate",
              "--kv-cache-dtype", "fp8"]
"""


def _apply_action(text: str, edits) -> str:
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for a, b, c, d, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:starts[a] + b] + new + text[starts[c] + d:]
    return text


def test_every_fix_is_a_code_action_safe_ones_preferred(tmp_path):
    """Each finding with a fix gets its quick fix: preferred when safe, titled unsafe and not preferred
    otherwise; applying it makes that finding go. "Fix all" takes the safe ones only."""
    write(tmp_path, {"compose.yaml": FIXABLE})
    path = tmp_path / "compose.yaml"
    s = session(tmp_path)
    uri = uri_of(path)
    text = path.read_text()
    s.open(uri, text, 1)
    fixable = [f for f in s.lint(uri).result.findings if f.fix is not None]
    assert {(f.code, f.fix.safe) for f in fixable} == {("VLL503", True), ("VLL503", False), ("VLL202", True),
                                                       ("VLL202", False)}, [(f.code, f.fix) for f in fixable]
    version = 1
    for f in fixable:
        s.change(uri, text, version)
        actions = [a for a in s.actions(uri, f.span.line - 1, f.span.end_line - 1) if a.kind == "quickfix"]
        mine = [a for a in actions if [g.message for g in a.findings] == [f.message]]
        assert len(mine) == 1, (f.message, [a.title for a in actions])
        action = mine[0]
        assert action.preferred is f.fix.safe
        assert ("unsafe" in action.title) is (not f.fix.safe) and action.title.startswith(f.code)
        fixed = _apply_action(text, action.edits[str(path)])
        version += 1
        s.change(uri, fixed, version)
        after = s.lint(uri).result.findings
        assert f.message not in [g.message for g in after], (action.title, fixed)
    s.change(uri, text, version + 1)
    fix_all = [a for a in s.actions(uri, 0, 0) if a.kind == "source.fixAll"]
    assert len(fix_all) == 1 and not fix_all[0].preferred
    assert sorted(g.message for g in fix_all[0].findings) == sorted(f.message for f in fixable if f.fix.safe)
    assert "apply 2 safe fixes" in fix_all[0].title


def test_the_policy_of_the_configuration_holds_in_the_editor(tmp_path):
    """`inline-suppressions: false` in the configuration: the editor shows what the comment would hide, and
    the comment (VLL003), as the command line does."""
    text = 'services:\n  llm:\n    image: vllm/vllm-openai:latest  # vllm-lint: disable=VLL102\n    command: ["m"]\n'
    write(tmp_path, {"compose.yaml": text})
    s = session(tmp_path)
    uri = uri_of(tmp_path / "compose.yaml")
    s.open(uri, text, 1)
    assert "VLL102" not in [f.code for f in s.lint(uri).result.findings]
    write(tmp_path, {".vllm-lint.yaml": "inline-suppressions: false\n"})
    assert sorted(f.code for f in s.lint(uri).result.findings) == ["VLL003", "VLL102"]


def test_kubernetes_manifests_and_scripts_are_linted_from_the_editor(tmp_path):
    manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: vllm}
        spec:
          template:
            spec:
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: ["--model", "Qwen/Qwen3-8B", "--kv-cache-dtype", "fp9"]
        """
    write(tmp_path, {"deploy.yaml": manifest, "start.sh": "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --dtype half\n"})
    s = session(tmp_path, vllmVersion="0.11.0")
    k8s = uri_of(tmp_path / "deploy.yaml")
    s.open(k8s, (tmp_path / "deploy.yaml").read_text(), 1)
    found = [(f.code, f.span.line) for f in s.lint(k8s).result.findings]
    assert ("VLL202", 10) in found, found
    script = uri_of(tmp_path / "start.sh")
    s.open(script, "#!/bin/sh\nvllm serve Qwen/Qwen3-8B --dtype halff\n", 1)  # unsaved
    assert [(f.code, f.span.line) for f in s.lint(script).result.findings if f.code == "VLL202"] == [("VLL202", 2)]
    hover = s.hover(script, 1, len("vllm serve Qwen/Qwen3-8B --dt"))
    assert "**`--dtype`** · vLLM 0.11.0" in hover and "choices:" in hover
