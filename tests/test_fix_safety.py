"""--fix never loses a user's data: a save racing the fix is never overwritten, owner, group and mode are kept,
a symbolic link's target is fixed and the link kept, read-only files and folders are refused with a finding
(unless --force), and the temporary files of a killed run are cleaned by the next one."""
from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import write

from vllm_lint.cli import main
from vllm_lint.fixes import apply
from vllm_lint.fixes.apply import FileFix, Refused, clean_stale_temp_files, write_atomic

PROFILE = """\
services:
  llm:
    image: 'vllm/vllm-openai:v0.11.0'
    environment:
      - "HUGGING_FACE_HUB_TOKEN=${HUGGING_FACE_HUB_TOKEN:-}"   # old name
    command:   ["--model", "m"]
"""
FIXED = PROFILE.replace('"HUGGING_FACE_HUB_TOKEN=', '"HF_TOKEN=')


def fix(cwd, *extra):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [".", "--offline", "--fix", "--select", "VLL110", *extra])
    finally:
        os.chdir(old)


def race_once(path, rng) -> bool:
    """One fix racing one save (an editor's atomic rename or in-place write) at a random moment; True when
    the save was lost (the file does not hold it in the end)."""
    path.write_text(PROFILE)
    entry = FileFix(path.name, path, PROFILE, FIXED)
    saved = f"{PROFILE}# saved by the editor {rng.random()}\n"
    delay = rng.uniform(0, 0.002)
    in_place = rng.random() < 0.5

    def editor():
        time.sleep(delay)
        if in_place:
            with open(path, "w") as f:
                f.write(saved)
        else:
            tmp = path.with_name(f".{path.name}.editor~")
            tmp.write_text(saved)
            os.replace(tmp, path)

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        write_atomic(entry)
    except Refused:
        pass  # the save was seen: nothing written
    thread.join()
    return path.read_text() != saved


def test_a_save_racing_the_fix_is_never_lost(tmp_path):
    rng = random.Random(15)
    lost = sum(race_once(tmp_path / "compose.yaml", rng) for _ in range(100))
    assert lost == 0
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".vllm-lint")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2(RENAME_EXCHANGE) is Linux's")
def test_a_save_after_the_last_check_is_given_back_its_place(tmp_path, monkeypatch):
    """The race made deterministic: the editor saves after the last check, just before the exchange."""
    path = tmp_path / "compose.yaml"
    path.write_text(PROFILE)
    real = apply._exchange
    saves = []

    def save_then_exchange(a, b):
        if not saves:
            saves.append(1)
            tmp = tmp_path / ".editor~"
            tmp.write_text(PROFILE + "# saved\n")
            os.replace(tmp, path)
        return real(a, b)

    monkeypatch.setattr(apply, "_exchange", save_then_exchange)
    with pytest.raises(Refused, match="changed while it was being fixed"):
        write_atomic(FileFix("compose.yaml", path, PROFILE, FIXED))
    assert path.read_text() == PROFILE + "# saved\n"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".vllm-lint")]


def test_mode_owner_and_group_are_kept(tmp_path):
    write(tmp_path, {"compose.yaml": PROFILE})
    path = tmp_path / "compose.yaml"
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 4321)
    out = fix(tmp_path)
    assert out.exit_code == 0, out.output
    assert path.read_text() == FIXED
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 4321)  # not root's


def test_a_symlink_keeps_being_a_link_and_its_target_is_fixed(tmp_path):
    write(tmp_path, {"shared/compose.yaml": PROFILE})
    (tmp_path / "app").mkdir()
    link = tmp_path / "app" / "compose.yaml"
    link.symlink_to(tmp_path / "shared" / "compose.yaml")
    out = fix(tmp_path / "app")
    assert out.exit_code == 0, out.output
    assert link.is_symlink()
    assert (tmp_path / "shared" / "compose.yaml").read_text() == FIXED
    assert not [p for d in ("app", "shared") for p in os.listdir(tmp_path / d) if p.endswith(".vllm-lint")]


def test_a_read_only_file_is_refused_with_a_finding_unless_forced(tmp_path):
    write(tmp_path, {"compose.yaml": PROFILE})
    path = tmp_path / "compose.yaml"
    path.chmod(0o444)
    out = fix(tmp_path)
    assert out.exit_code == 1
    assert "VLL005" in out.output and "read-only" in out.output and "--force" in out.output
    assert path.read_text() == PROFILE
    out = fix(tmp_path, "--force")
    assert out.exit_code == 0, out.output
    assert path.read_text() == FIXED and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_folder_where_no_file_can_be_made_is_a_finding(tmp_path, monkeypatch):
    write(tmp_path, {"compose.yaml": PROFILE})

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(apply.tempfile, "mkstemp", refuse)
    out = fix(tmp_path)
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "VLL005" in out.output and "Permission denied" in out.output
    assert (tmp_path / "compose.yaml").read_text() == PROFILE


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_finding(tmp_path):
    write(tmp_path, {"p/compose.yaml": PROFILE})
    (tmp_path / "p").chmod(0o555)
    try:
        out = fix(tmp_path / "p")
    finally:
        (tmp_path / "p").chmod(0o755)
    assert out.exit_code == 1 and "VLL005" in out.output and "read-only" in out.output


def test_stale_temp_files_of_a_killed_run_are_cleaned_by_the_next(tmp_path):
    write(tmp_path, {"compose.yaml": PROFILE, "other.txt": "x"})
    path = tmp_path / "compose.yaml"
    # a --fix killed (SIGKILL) while its temporary file was being written
    script = (f"import os, time\nfrom pathlib import Path\nfrom vllm_lint.fixes.apply import FileFix, write_atomic\n"
              f"os.fsync = lambda fd: (print('writing', flush=True), time.sleep(60))\n"
              f"p = Path({str(path)!r})\nwrite_atomic(FileFix('compose.yaml', p, p.read_text(), p.read_text() + '#'))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.kill()
    finally:
        proc.wait(10)
    stale = [p for p in os.listdir(tmp_path) if p.endswith(".vllm-lint")]
    assert len(stale) == 1 and stale[0].startswith(".compose.yaml.")  # named so users recognise it
    (tmp_path / ".other.txt.notours.vllm-lint").write_text("")  # not a name of ours: left alone
    (tmp_path / ".gone.yaml.abcdefgh.vllm-lint").write_text("")  # not beside its file: left alone
    assert path.read_text() == PROFILE  # the kill lost nothing
    out = fix(tmp_path)
    assert out.exit_code == 0, out.output
    left = sorted(p for p in os.listdir(tmp_path) if p.endswith(".vllm-lint"))
    assert left == [".gone.yaml.abcdefgh.vllm-lint", ".other.txt.notours.vllm-lint"]


def test_a_temp_file_a_live_write_holds_is_not_cleaned(tmp_path):
    import fcntl

    write(tmp_path, {"compose.yaml": PROFILE})
    live = tmp_path / ".compose.yaml.abcd1234.vllm-lint"
    live.write_text("")
    with open(live) as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        assert clean_stale_temp_files([tmp_path]) == []
    assert clean_stale_temp_files([tmp_path]) == [str(live)]


def test_a_file_another_fix_holds_locked_is_not_written(tmp_path, monkeypatch):
    import fcntl

    path = tmp_path / "compose.yaml"
    path.write_text(PROFILE)
    monkeypatch.setattr(apply, "LOCK_WAIT_S", 0.05)
    with open(path) as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        with pytest.raises(Refused, match="locked"):
            write_atomic(FileFix("compose.yaml", path, PROFILE, FIXED))
    assert path.read_text() == PROFILE
