"""The commands a shell command runs, as far as they can be read statically: what wrappers start
(``nohup``, ``setsid``, ``exec``, ``env``, ``sudo``, ``timeout``, ``nice`` ...), the strings that shells run
(``bash -c "…"``, ``sh -lc '…'``, ``bash -exc``, ``su -c``, ``eval "$cmd"``), terminal multiplexers and
process managers (``tmux new -d "…"``, ``screen -dmS name …``, ``pm2 start "…"``), a command held in a
variable (``$cmd`` / ``eval "$cmd"``, one candidate per place it was assigned) and containers started with
``docker run`` / ``podman run`` / ``nerdctl run`` (their options read as a compose service's would be).

In: one :class:`~vllm_lint.loaders.shell_vars.Step` of a script. Out: :class:`Candidate` commands, each
with its words resolved (variables known at that point substituted) — the caller looks for vLLM in them.
Nothing is executed.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from vllm_lint.launch.deployment import Word
from vllm_lint.loaders.shell_vars import BRANCH_ARGS, ScriptVariables, Step, expand_shell, resolve_words, walk_script
from vllm_lint.sources import shellwords

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")
_MAX_DEPTH = 5

SHELLS = {"sh", "bash", "zsh", "dash", "ash", "ksh"}
#: Commands that run the command that follows them (after their own options).
WRAPPERS = {"nohup", "setsid", "exec", "time", "nice", "env", "sudo", "doas", "stdbuf", "timeout", "taskset",
            "numactl", "chrt", "ionice", "unbuffer", "command", "builtin", "caffeinate", "!", "xvfb-run"}
#: Options of a wrapper that take a value (the next word).
_WRAPPER_VALUES = {
    "nice": {"-n", "--adjustment"}, "sudo": {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "--user", "--group"},
    "doas": {"-u", "-C"}, "env": {"-u", "--unset", "-C", "--chdir", "-S", "--split-string"},
    "stdbuf": {"-i", "-o", "-e"}, "timeout": {"-s", "--signal", "-k", "--kill-after"},
    "taskset": {"-c", "--cpu-list"}, "numactl": {"-N", "-C", "-m", "-p", "-i"},
    "ionice": {"-c", "-n", "-p"}, "chrt": {"-p"}, "exec": {"-a"},
}
#: Wrappers with a positional argument before the command (timeout DURATION, taskset MASK, chrt PRIORITY).
_WRAPPER_POSITIONAL = {"timeout": 1, "chrt": 1}

_TMUX_NEW = {"new", "new-session", "neww", "new-window", "splitw", "split-window", "respawn-pane", "respawnp",
             "respawn-window", "respawnw"}
_TMUX_VALUES = {"-s", "-n", "-c", "-t", "-e", "-x", "-y", "-F", "-l", "-p", "-f", "-L", "-S"}
_TMUX_KEYS = {"Enter", "C-m", "KPEnter", "C-j"}
_SCREEN_VALUES = {"-S", "-t", "-c", "-h", "-p", "-T", "-e", "-s", "-Logfile", "-logfile", "-X"}
_PM2_VALUES = {"--name", "-n", "--interpreter", "--interpreter-args", "--node-args", "-i", "--instances", "-o",
               "--output", "-e", "--error", "-l", "--log", "--cwd", "--max-memory-restart", "--env", "--namespace",
               "--cron", "--cron-restart", "--restart-delay", "--exp-backoff-restart-delay", "--max-restarts",
               "--log-date-format", "--uid", "--gid", "--kill-timeout", "--listen-timeout", "--min-uptime",
               "--log-type", "-x", "--source-map-support"}

CONTAINER_ENGINES = {"docker", "podman", "nerdctl"}
#: ``docker run`` / ``podman run`` options that take a value (the next word, or ``--opt=value``).
RUN_VALUES = {
    "-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "--blkio-weight-device", "--cap-add", "--cap-drop",
    "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-count", "--cpu-percent", "--cpu-period", "--cpu-quota",
    "--cpu-rt-period", "--cpu-rt-runtime", "-c", "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems",
    "--device", "--device-cgroup-rule", "--device-read-bps", "--device-read-iops", "--device-write-bps",
    "--device-write-iops", "--dns", "--dns-option", "--dns-search", "--domainname", "--entrypoint", "-e", "--env",
    "--env-file", "--expose", "--gpus", "--group-add", "--health-cmd", "--health-interval", "--health-retries",
    "--health-start-interval", "--health-start-period", "--health-timeout", "-h", "--hostname", "--ip", "--ip6",
    "--ipc", "--isolation", "--kernel-memory", "-l", "--label", "--label-file", "--link", "--link-local-ip",
    "--log-driver", "--log-opt", "--mac-address", "-m", "--memory", "--memory-reservation", "--memory-swap",
    "--memory-swappiness", "--mount", "--name", "--network", "--net", "--network-alias", "--net-alias",
    "--oom-score-adj", "--pid", "--pids-limit", "--platform", "-p", "--publish", "--pull", "--restart", "--runtime",
    "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs",
    "--ulimit", "-u", "--user", "--userns", "--uts", "-v", "--volume", "--volume-driver", "--volumes-from", "-w",
    "--workdir", "--pod", "--secret", "--arch", "--os", "--variant", "--authfile", "--cgroups", "--conmon-pidfile",
    "--decryption-key", "--gidmap", "--uidmap", "--subuidname", "--subgidname", "--init-path", "--pidfile",
    "--preserve-fd", "--requires", "--sdnotify", "--seccomp-policy", "--timeout", "--umask", "--unsetenv",
    "--group-entry", "--passwd-entry", "--image-volume", "--personality", "--rdt-class", "--retry", "--retry-delay",
    "--shm-size-systemd", "--cgroup-conf", "--chrootdirs", "--hooks-dir", "--label-file", "--namespace",
    "--snapshotter", "--cosign-key", "--systemd", "--hostuser", "--env-host", "--cgroup-manager",
}
_ENGINE_GLOBAL_VALUES = {"--context", "-c", "-H", "--host", "-l", "--log-level", "--config", "--root", "--runroot",
                         "--url", "--connection", "--namespace", "-n", "--address", "-a", "--storage-driver",
                         "--cgroup-manager", "--snapshotter"}


@dataclass
class Candidate:
    """A command a script runs, resolved; ``container`` when it is the command of a ``docker run``."""

    words: list[Word]
    scope: ScriptVariables
    via: list[str] = field(default_factory=list)  # how it was reached: "bash -c", "eval", "tmux", "$cmd" ...
    container: "ContainerRun | None" = None


@dataclass
class ContainerRun:
    """``docker run [options] IMAGE [args]``: the options a compose service would hold, as written."""

    engine: str  # docker, podman, nerdctl
    head: Word  # the engine's word (the launch's anchor)
    image: Word | None = None
    entrypoint: list[Word] = field(default_factory=list)
    args: list[Word] = field(default_factory=list)
    options: list[tuple[str, Word | None, Word]] = field(default_factory=list)  # (option, value, option word)


def candidates(step: Step, source) -> list[Candidate]:
    """The commands one script step runs (itself when it wraps nothing)."""
    return [c for c in _expand(step.raw, step.scope, source, 0, [])]


def expand_words(words: list[Word], scope: ScriptVariables, source) -> list[Candidate]:
    """The commands a list of words runs (a container's command, a unit's ``ExecStart``)."""
    return _expand(words, scope, source, 0, [])


def _resolved(words: list[Word], scope: ScriptVariables) -> list[Word]:
    return resolve_words(words, scope.lookup, arrays=scope.arrays)


def _expand(words: list[Word], scope: ScriptVariables, source, depth: int, via: list[str]) -> list[Candidate]:
    if depth > _MAX_DEPTH or not words:
        return []
    i = 0
    while i < len(words) and (_ASSIGN.match(words[i].value) or words[i].value in ("then", "do", "else", "{", "!", "(")
                              or words[i].value == "$" + BRANCH_ARGS):
        i += 1
    if i >= len(words):
        return []
    prefix, head_word, rest = words[:i], words[i], words[i + 1:]
    if prefix and any(_ASSIGN.match(w.value) for w in prefix):
        scope = scope.snapshot()
        for w in prefix:
            if _ASSIGN.match(w.value):
                name, _, value = w.value.partition("=")
                expanded, unknown = expand_shell(value, scope.lookup)
                scope.values[name] = None if unknown else expanded
    var = _VAR.match(head_word.value)
    if var:  # $cmd: the command a variable holds, one candidate per place it was assigned
        alternatives = [a for a in scope.command(var.group(1) or var.group(2)) or ()
                        if len(a.text.split()) > 1 or _ASSIGN.match(a.text.strip())]  # a command, or A=1 prefixes
        out = []  # (a variable holding one word, `$PYTHON -m ...`, is a program: read as it is)
        for alt in alternatives:
            region = None  # where the text was assigned: its words are placed there when they are written there
            if alt.site >= 0 and head_word.span.start is not None and alt.site < head_word.span.start:
                region = (alt.site, head_word.span.start)
            for inner in _split_text(alt.text, head_word, source if region else None, region):
                out += _expand(prefix + inner + rest, scope, source, depth + 1, via + [head_word.value])
        if alternatives:
            return out
    head = os.path.basename(head_word.value)
    if head in WRAPPERS:
        j = _skip_wrapper_options(head, rest)
        assigned = [w for w in rest[:j] if _ASSIGN.match(w.value)] if head == "env" else []  # env A=1 cmd
        return _expand(prefix + assigned + rest[j:], scope, source, depth + 1, via + [head]) if j < len(rest) else []
    if head in SHELLS:
        script = _shell_string(rest)
        if script is None:
            return [Candidate(_resolved(words, scope), scope, via)]
        return _string(script, scope, source, depth, via + [f"{head} -c"], prefix)
    if head in ("su", "runuser"):
        for k, w in enumerate(rest[:-1]):
            if w.value in ("-c", "--command"):
                return _string(rest[k + 1], scope, source, depth, via + [f"{head} -c"], prefix)
        return []
    if head == "eval" and rest:
        if len(rest) == 1:
            return _string(rest[0], scope, source, depth, via + ["eval"], prefix)
        joined = Word(" ".join(w.value for w in rest), rest[0].span, "", (), False)
        return _string(joined, scope, source, depth, via + ["eval"], prefix)
    if head == "tmux":
        return _tmux(rest, scope, source, depth, via, prefix)
    if head == "screen":
        j = 0
        while j < len(rest) and rest[j].value.startswith("-"):
            v = rest[j].value
            j += 2 if v in _SCREEN_VALUES or (len(v) > 2 and not v.startswith("--") and v[-1] == "S") else 1
        return _command_or_string(rest[j:], scope, source, depth, via + ["screen"], prefix)
    if head == "pm2":
        return _pm2(rest, scope, source, depth, via, prefix)
    if head in CONTAINER_ENGINES:
        run = _container_run(head, head_word, rest)
        if run is not None:
            return [Candidate(_resolved(prefix, scope), scope, via + [f"{head} run"], run)]
        return []
    return [Candidate(_resolved(words, scope), scope, via)]


def _skip_wrapper_options(head: str, rest: list[Word]) -> int:
    j = 0
    values = _WRAPPER_VALUES.get(head, set())
    while j < len(rest):
        v = rest[j].value
        if head == "env" and _ASSIGN.match(v):
            j += 1
        elif v == "--":
            return j + 1
        elif v.startswith("-") and len(v) > 1 and not (head == "nice" and v[1:].isdigit()):
            j += 2 if v in values else 1
        elif head == "nice" and v.startswith("-") and v[1:].isdigit():
            j += 1
        else:
            break
    positional = _WRAPPER_POSITIONAL.get(head, 0)
    if head == "taskset" and not any(w.value in ("-c", "--cpu-list") for w in rest[:j]):
        positional = 1  # taskset MASK command
    return j + positional


def _shell_string(rest: list[Word]) -> Word | None:
    """The command string of ``bash [options] -c STRING`` (``-c``, ``-lc``, ``-exc``, ``-e -x -c``,
    ``-o pipefail -c``); None for ``bash script.sh`` or a shell reading stdin."""
    j, has_c = 0, False
    while j < len(rest):
        v = rest[j].value
        if v in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            j += 2
            continue
        if v == "--":
            j += 1
            break
        if v.startswith("--"):
            j += 1
            continue
        if len(v) > 1 and v[0] in "-+":
            has_c = has_c or "c" in v[1:]
            j += 1
            continue
        break
    return rest[j] if has_c and j < len(rest) else None


def _command_or_string(rest: list[Word], scope, source, depth, via, prefix) -> list[Candidate]:
    if not rest:
        return []
    if len(rest) == 1 and (" " in rest[0].value.strip() or "\n" in rest[0].value):
        return _string(rest[0], scope, source, depth, via, prefix)
    return _expand(prefix + rest, scope, source, depth + 1, via)


def _tmux(rest, scope, source, depth, via, prefix) -> list[Candidate]:
    j = 0
    while j < len(rest) and rest[j].value.startswith("-"):  # tmux's own options: -L socket, -S path, -f file
        j += 2 if rest[j].value in ("-L", "-S", "-f") else 1
    if j >= len(rest):
        return []
    sub = rest[j].value
    j += 1
    if sub in _TMUX_NEW:
        while j < len(rest) and rest[j].value.startswith("-") and rest[j].value != "--":
            j += 2 if rest[j].value in _TMUX_VALUES else 1
        if j < len(rest) and rest[j].value == "--":
            j += 1
        return _command_or_string(rest[j:], scope, source, depth, via + ["tmux"], prefix)
    if sub in ("send-keys", "send"):
        while j < len(rest) and rest[j].value.startswith("-"):
            j += 2 if rest[j].value in ("-t", "-N") else 1
        out = []
        for w in rest[j:]:
            if w.value not in _TMUX_KEYS:
                out += _string(w, scope, source, depth, via + ["tmux send-keys"], prefix)
        return out
    return []


def _pm2(rest, scope, source, depth, via, prefix) -> list[Candidate]:
    if not rest or rest[0].value != "start":
        return []
    j, script, args = 1, None, []
    while j < len(rest):
        v = rest[j].value
        if v == "--":
            args = rest[j + 1:]
            break
        if v.startswith("-") and len(v) > 1:
            j += 1 if "=" in v or v not in _PM2_VALUES else 2
            continue
        if script is None:
            script = rest[j]
        j += 1
    if script is None:
        return []
    if not args:
        return _command_or_string([script], scope, source, depth, via + ["pm2 start"], prefix)
    return _expand(prefix + [script] + args, scope, source, depth + 1, via + ["pm2 start"])


def _string(word: Word, scope: ScriptVariables, source, depth: int, via: list[str], prefix=()) -> list[Candidate]:
    """The commands of a string a shell runs: split, each word placed in the file where it can be found,
    then read as a script of its own (its assignments apply to its later commands)."""
    commands = _split_text(word.value, word, source)
    out = []
    for step in walk_script(commands, scope=scope):
        out += _expand(list(prefix) + step.raw, step.scope, source, depth + 1, via)
    return out


def _split_text(text: str, word: Word, source, region: tuple[int, int] | None = None) -> list[list[Word]]:
    """``text`` (the value of ``word``, or what it expands to) split as a script; each word's span is its
    place in the file when it can be found inside ``word``'s (or inside ``region``: where a variable holding
    the text was assigned), else ``word``'s own span."""
    try:
        commands = shellwords.split(text, script=True)
    except shellwords.ShellSyntaxError:
        return []
    start, end = region or (word.span.start, word.span.end)
    locate = source is not None and start is not None and end is not None and end > start and (
        region is not None or text == word.value)
    cursor = start or 0
    out = []
    for command in commands:
        located = []
        for sw in command:
            token = text[sw.start:sw.end]
            at = _find_token(source.text, token, cursor, end) if locate else -1
            if at >= 0:
                located.append(Word(sw.value, source.span(at, at + len(token)), token, (), True, ""))
                cursor = at + len(token)
            else:
                located.append(Word(sw.value, word.span, "", (), False))
        if located:
            out.append(located)
    return out


def _find_token(text: str, token: str, start: int, end: int) -> int:
    """Where ``token`` stands in ``text[start:end]`` as a word of its own (not inside a longer word), or -1."""
    if not token:
        return -1
    pattern = re.compile(r"(?<![A-Za-z0-9_./-])" + re.escape(token) + r"(?![A-Za-z0-9_./-])")
    m = pattern.search(text, start, end)
    return m.start() if m else -1


def _container_run(engine: str, head: Word, rest: list[Word]) -> ContainerRun | None:
    j = 0
    while j < len(rest) and rest[j].value.startswith("-"):
        v = rest[j].value
        j += 1 if "=" in v or v not in _ENGINE_GLOBAL_VALUES else 2
    if j < len(rest) and rest[j].value == "container":
        j += 1
    if j >= len(rest) or rest[j].value not in ("run", "create"):
        return None
    j += 1
    run = ContainerRun(engine, head)
    while j < len(rest):
        w = rest[j]
        v = w.value
        if v == "--":
            j += 1
            break
        if not v.startswith("-") or v == "-":
            break
        if v.startswith("--"):
            name, eq, inline = v.partition("=")
            if eq:
                run.options.append((name, Word(inline, _inline_span(w, len(name) + 1), inline if w.exact and w.raw == v else "",
                                               w.variables, w.exact and w.raw == v), w))
                j += 1
            elif name in RUN_VALUES and j + 1 < len(rest):
                run.options.append((name, rest[j + 1], w))
                j += 2
            else:
                run.options.append((name, None, w))
                j += 1
            continue
        letters = v[1:]
        last = "-" + letters[-1]
        if last in RUN_VALUES and j + 1 < len(rest) and (len(letters) == 1 or "-" + letters[0] not in RUN_VALUES):
            for letter in letters[:-1]:
                run.options.append(("-" + letter, None, w))
            run.options.append((last, rest[j + 1], w))
            j += 2
        else:
            for letter in letters:
                run.options.append(("-" + letter, None, w))
            j += 1
    if j >= len(rest):
        return None
    run.image = rest[j]
    run.args = rest[j + 1:]
    for name, value, _ in run.options:
        if name == "--entrypoint" and value is not None:
            run.entrypoint = [value]
    return run


def _inline_span(word: Word, offset: int):
    if word.exact and word.raw == word.value:
        return word.span.shifted(word.raw, offset, len(word.value) - offset)
    return word.span
