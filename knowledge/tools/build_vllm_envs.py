"""Build knowledge/vllm/envs.yaml: the environment variables of each vLLM release, read from its sources.

vLLM declares every environment variable it reads in ``vllm/envs.py``: the dict
``environment_variables`` maps each name to a getter (a lambda, a helper such as
``env_with_choices(...)``, or a module function), type annotations sit in the
``if TYPE_CHECKING:`` block at the top, and each entry of the dict is documented by the
``#`` comment block above it. This script reads those files *statically* with ``ast``:
vLLM is never imported and none of its code is executed.

Per release and variable it records

type
    What the getter returns, from the conversion the getter applies to the raw string:
    ``bool`` / ``int`` / ``float`` / ``str`` / ``path`` (``os.path.expanduser`` & co.) /
    ``list`` (``.split(",")``, ``env_list_with_choices``) / ``set`` / ``json`` /
    ``choice`` (``env_with_choices``). Unrecognised getters fall back to the annotation.
default
    The value of the getter when the variable is unset, obtained by folding the getter's
    expression with a small whitelisting interpreter over the AST (constants, ``os.getenv``
    defaults, ``int``/``bool``/``float``/``str``, string methods, ``x if "X" in os.environ
    else y``, the module's own small helpers such as ``maybe_convert_int``). It runs nothing
    of vLLM; anything it does not know (``tempfile.gettempdir()``, ``get_default_cache_root()``,
    torch version checks, ...) makes the default "computed": ``default_expr`` then holds the
    raw expression text instead of ``default``.
bool_parse
    How a bool is parsed: ``int`` (``bool(int(v))``: only integer strings are valid, ``"true"``
    raises ValueError), ``in`` / ``not_in`` (true iff the normalised value is / is not one of
    ``values``; ``normalize`` lists the string methods applied first, e.g. ``strip, lower``),
    ``nonempty`` (``bool(v)``: any non-empty string is true, even ``"0"``), ``map`` (a dict
    lookup such as ``{"1": True, "0": False}.get(v)``).
choices
    Allowed values where the code names them: the list passed to ``env_with_choices`` /
    ``env_list_with_choices`` / ``env_set_with_choices`` (``choices_from: validated``; a
    callable is kept verbatim as ``choices_expr`` and, when it is
    ``__import__("mod", ...).Enum.__members__.keys()``, resolved to the member names of that enum
    class in the same release, cited by ``choices_source``), a literal list the getter checks the
    value against (``choices_from: checked``), or the ``Literal[...]`` of the annotation, which
    envs.py does not enforce (``choices_from: annotation``).
annotation
    The ``TYPE_CHECKING`` annotation (``Optional[X]`` written ``X | None``, ``List`` as ``list``).
also_reads
    Other environment variables the getter reads (e.g. ``HOST_IP`` for ``VLLM_HOST_IP``).
wrapper / deprecated
    ``deprecated_env(name, removal_version, replacement, getter)`` entries: the removal version
    and replacement text verbatim.

A variable's ``specs`` list one entry per stretch of consecutive releases with the same facts
(``since``/``until`` as below), each with its ``source`` (``vllm/envs.py:LINE (RELEASE)``, the
first release of the stretch). ``doc`` is the comment block above the entry in the newest
release that has one, cut to its first two sentences (``doc_source`` says where).

Notices. Every ``.py`` file of every release that mentions ``VLLM_`` is parsed and searched for
messages about a variable (docstrings and other bare string statements excluded): a string
literal naming it that says deprecated / removed / no longer / renamed / replaced / is ignored /
has no effect / will be removed (``KEYWORDS``, matched with the variable names blanked out); calls
that pass the name to a function of the same file whose message says so
(``_set_from_env_if_set("backend", "VLLM_ATTENTION_BACKEND")`` -> the deprecation warning inside
that method, followed two calls deep), logging calls with the name as an argument, and tables
such as ``_DEPRECATED_ENV_VARS = {"VLLM_X": "new_key"}`` read by a function that warns. Comment
sentences of the envs.py entry that say "deprecated" are kept too. Each notice carries the
message verbatim (f-string fields as ``{expr}``, %-placeholders as written), its file and line
in the first release that has it, the releases it appears in and, for calls and tables, ``via``.
Variables absent from the newest release are listed under ``removed`` with the last release
that had them, the first without them, their notices and the source lines of the first release
without them that still name them (``mentioned_in_removal_release``). A message is recorded for
the first variable it names only, so "X is deprecated, use Y" is a notice of X, not of Y.

Unknown-variable check. ``unknown_vllm_variable_check`` records the function that warns about or
rejects ``VLLM_*`` variables of ``os.environ`` that are not keys of ``environment_variables``
(``validate_environ`` in vllm/envs.py, later vllm/platforms/interface.py), its messages and its
call sites.

Ranges. Releases are every folder of ``--src`` named as a version, sorted with
``packaging.version``. ``since`` is the first release that has the fact, ``until`` the first
later release without it (absent: still in the newest release); ``ranges`` lists every
``{since, until}`` stretch when a variable disappeared and came back.

Usage (SRC = the folder of per-release trees ``SRC/0.11.0/vllm/...`` that
``knowledge/tools/fetch_vllm_sources.py`` extracts from the release wheels; only the ``.py``
files under ``SRC/X/vllm`` are read)::

    python knowledge/tools/fetch_vllm_sources.py --wheels WHEELS --src SRC 0.6.0 ... 0.33.0
    python knowledge/tools/build_vllm_envs.py --src SRC --out knowledge/vllm/envs.yaml

Output is deterministic (no timestamps). Needs only the standard library, PyYAML and
packaging.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import operator
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

SCRIPT = "knowledge/tools/build_vllm_envs.py"
COMMAND = "python knowledge/tools/build_vllm_envs.py --src SRC --out knowledge/vllm/envs.yaml"
ENVS = "vllm/envs.py"

# --------------------------------------------------------------------------- helpers


def releases_under(src: Path) -> list[str]:
    out = []
    for p in src.iterdir():
        if not (p / ENVS).is_file():
            continue
        try:
            Version(p.name)
        except InvalidVersion:
            continue
        out.append(p.name)
    return sorted(out, key=Version)


def parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
        print(f"warning: cannot parse {path}: {exc}", file=sys.stderr)
        return None


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def str_list(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts and all(const_str(e) is not None for e in node.elts):
        return [e.value for e in node.elts]
    return None


def compact(code: str, limit: int = 240) -> str:
    code = re.sub(r"\s+", " ", code).strip()
    return code if len(code) <= limit else code[: limit - 3] + "..."


def ranges(present: list[str], releases: list[str]) -> list[dict]:
    """Stretches of consecutive releases (in ``releases`` order) found in ``present``."""
    have = set(present)
    out: list[dict] = []
    current: dict | None = None
    for r in releases:
        if r in have and current is None:
            current = {"since": r}
            out.append(current)
        elif r not in have and current is not None:
            current["until"] = r
            current = None
    return out


def life(present: list[str], releases: list[str]) -> dict:
    spans = ranges(present, releases)
    entry = {"since": spans[0]["since"]}
    if "until" in spans[-1]:
        entry["until"] = spans[-1]["until"]
    if len(spans) > 1:
        entry["ranges"] = spans
    return entry


def src_ref(path: str, line: int | None, release: str) -> str:
    return f"{path}:{line} ({release})" if line else f"{path} ({release})"


# --------------------------------------------------------------------------- static evaluation

READ_FUNCS = {"os.getenv", "os.environ.get", "getenv", "environ.get"}
ENVIRON = {"os.environ", "environ"}
SAFE_BUILTINS = {"int": int, "float": float, "bool": bool, "str": str, "list": list, "tuple": tuple,
                 "set": set, "frozenset": frozenset, "len": len, "max": max, "min": min, "abs": abs}
SAFE_METHODS = {str: {"lower", "upper", "strip", "lstrip", "rstrip", "split", "replace", "startswith",
                      "endswith", "isdigit", "casefold", "title"},
                dict: {"get", "keys", "values", "items"}, list: set(), tuple: set()}
BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
CMPOPS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
          ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
          ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}


class NoEval(Exception):
    """The expression is not a constant under 'every environment variable unset'."""


# what folding a builtin / str method / operator on constants may raise
EVAL_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, ZeroDivisionError, OverflowError)


_UNKNOWN = object()


def read_name(node: ast.AST) -> str | None:
    """The variable a node reads: os.getenv("X", ...), os.environ.get("X"), os.environ["X"]."""
    if isinstance(node, ast.Call) and dotted(node.func) in READ_FUNCS and node.args:
        return const_str(node.args[0])
    if isinstance(node, ast.Subscript) and dotted(node.value) in ENVIRON:
        return const_str(node.slice)
    return None


def membership_name(node: ast.AST) -> str | None:
    """'X' in os.environ / 'X' not in os.environ."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
            and dotted(node.comparators[0]) in ENVIRON:
        return const_str(node.left)
    return None


class Module:
    """The functions of one envs.py, for the evaluator; ``root`` is the release tree."""

    def __init__(self, tree: ast.Module, root: Path | None = None):
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.root = root


def enum_members(expr: ast.AST, root: Path | None) -> tuple[list[str], str] | None:
    """Resolve ``list(__import__("pkg.mod", fromlist=["E"]).E.__members__.keys())`` (choices of
    env_with_choices given as a callable) to the member names of enum class E in that release."""
    if root is None:
        return None
    for n in ast.walk(expr):
        if isinstance(n, ast.Attribute) and n.attr == "__members__" and isinstance(n.value, ast.Attribute) \
                and isinstance(n.value.value, ast.Call) and dotted(n.value.value.func) == "__import__":
            module = const_str(n.value.value.args[0]) if n.value.value.args else None
            cls = n.value.attr
            if not module:
                return None
            base = root / module.replace(".", "/")
            path = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
            tree = parse(path) if path.is_file() else None
            for c in ast.walk(tree) if tree else []:
                if isinstance(c, ast.ClassDef) and c.name == cls:
                    names = []
                    for s in c.body:
                        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AnnAssign) and s.value else []
                        names += [t.id for t in targets if isinstance(t, ast.Name) and not t.id.startswith("_")]
                    if names:
                        return names, f"{path.relative_to(root).as_posix()}:{c.lineno} ({root.name}) class {cls}"
            return None
    return None


def ev(node: ast.AST, mod: Module, scope: dict, depth: int = 0):
    """Fold ``node`` with every environment variable unset; raise NoEval when not possible."""
    if depth > 40:
        raise NoEval("too deep")
    rec = lambda n: ev(n, mod, scope, depth + 1)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(rec(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [rec(e) for e in node.elts]
    if isinstance(node, ast.Set):
        return {rec(e) for e in node.elts}
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NoEval("dict unpacking")
        return {rec(k): rec(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Name):
        val = scope.get(node.id, _UNKNOWN)
        if val is _UNKNOWN:
            raise NoEval(node.id)
        return val
    if isinstance(node, ast.NamedExpr):
        val = rec(node.value)
        scope[node.target.id] = val
        return val
    if isinstance(node, ast.Call):
        name = dotted(node.func)
        if name in READ_FUNCS:
            default = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "default"), None)
            return rec(default) if default is not None else None
        args = [rec(a) for a in node.args]
        if any(k.arg is None for k in node.keywords):
            raise NoEval("**kwargs")
        kwargs = {k.arg: rec(k.value) for k in node.keywords}
        if name in SAFE_BUILTINS and name not in scope:
            try:
                return SAFE_BUILTINS[name](*args, **kwargs)
            except EVAL_ERRORS as exc:  # e.g. int("") -- the default itself would raise
                raise NoEval(f"{name}() raises {exc!r}") from None
        if isinstance(node.func, ast.Attribute):
            recv = rec(node.func.value)
            if node.func.attr in SAFE_METHODS.get(type(recv), ()):
                try:
                    return getattr(recv, node.func.attr)(*args, **kwargs)
                except EVAL_ERRORS as exc:
                    raise NoEval(repr(exc)) from None
            raise NoEval(f"method {node.func.attr}")
        if name in mod.functions and depth < 30:
            return run_function(mod.functions[name], args, kwargs, mod, depth + 1)
        raise NoEval(f"call {name}")
    if isinstance(node, ast.Subscript):
        if dotted(node.value) in ENVIRON:
            raise NoEval("os.environ[...] of an unset variable raises KeyError")
        try:
            return rec(node.value)[rec(node.slice)]
        except NoEval:
            raise
        except EVAL_ERRORS as exc:
            raise NoEval(repr(exc)) from None
    if isinstance(node, ast.Compare):
        if membership_name(node) is not None:
            return isinstance(node.ops[0], ast.NotIn)
        left = rec(node.left)
        for op, comp in zip(node.ops, node.comparators):
            right = rec(comp)
            if type(op) not in CMPOPS:
                raise NoEval("compare")
            try:
                ok = CMPOPS[type(op)](left, right)
            except EVAL_ERRORS as exc:
                raise NoEval(repr(exc)) from None
            if not ok:
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        val = None
        for v in node.values:
            val = rec(v)
            if isinstance(node.op, ast.Or) and val:
                return val
            if isinstance(node.op, ast.And) and not val:
                return val
        return val
    if isinstance(node, ast.UnaryOp):
        val = rec(node.operand)
        if isinstance(node.op, ast.Not):
            return not val
        if isinstance(node.op, ast.USub):
            return -val
        if isinstance(node.op, ast.UAdd):
            return +val
        raise NoEval("unary")
    if isinstance(node, ast.BinOp):
        if type(node.op) not in BINOPS:
            raise NoEval("binop")
        a, b = rec(node.left), rec(node.right)
        try:
            return BINOPS[type(node.op)](a, b)
        except EVAL_ERRORS as exc:
            raise NoEval(repr(exc)) from None
    if isinstance(node, ast.IfExp):
        return rec(node.body) if rec(node.test) else rec(node.orelse)
    raise NoEval(type(node).__name__)


def run_function(fn: ast.FunctionDef, args: list, kwargs: dict, mod: Module, depth: int):
    """Interpret a small module function (if / assign / return) with all variables unset."""
    scope: dict = {}
    params = fn.args.posonlyargs + fn.args.args
    defaults = [None] * (len(params) - len(fn.args.defaults)) + list(fn.args.defaults)
    for i, p in enumerate(params):
        if i < len(args):
            scope[p.arg] = args[i]
        elif p.arg in kwargs:
            scope[p.arg] = kwargs[p.arg]
        elif defaults[i] is not None:
            scope[p.arg] = ev(defaults[i], mod, scope, depth)
        else:
            raise NoEval("missing argument")

    def run(stmts):
        for s in stmts:
            if isinstance(s, (ast.Expr, ast.Pass, ast.Import, ast.ImportFrom, ast.Global, ast.FunctionDef)):
                continue
            if isinstance(s, (ast.Assign, ast.AnnAssign)):
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                if s.value is None or not all(isinstance(t, ast.Name) for t in targets):
                    raise NoEval("assign")
                try:
                    val = ev(s.value, mod, scope, depth + 1)
                except NoEval:
                    val = _UNKNOWN
                for t in targets:
                    scope[t.id] = val
                continue
            if isinstance(s, ast.If):
                res = run(s.body if ev(s.test, mod, scope, depth + 1) else s.orelse)
                if res is not _UNKNOWN:
                    return res
                continue
            if isinstance(s, ast.Return):
                return ev(s.value, mod, scope, depth + 1) if s.value is not None else None
            if isinstance(s, ast.Try):
                res = run(s.body)
                if res is not _UNKNOWN:
                    return res
                continue
            raise NoEval(type(s).__name__)
        return _UNKNOWN

    res = run(fn.body)
    return None if res is _UNKNOWN else res


def yaml_value(v):
    """A folded default as a YAML-friendly literal."""
    if isinstance(v, (set, frozenset)):
        return sorted(yaml_value(x) for x in v)
    if isinstance(v, tuple):
        return [yaml_value(x) for x in v]
    if isinstance(v, list):
        return [yaml_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): yaml_value(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise NoEval(type(v).__name__)


# --------------------------------------------------------------------------- getter analysis


class Subst(ast.NodeTransformer):
    """Replace parameter / local names by the expressions bound to them."""

    def __init__(self, binding: dict[str, ast.AST]):
        self.binding = binding

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.binding:
            return copy.deepcopy(self.binding[node.id])
        return node


def substitute(node: ast.AST, binding: dict[str, ast.AST]) -> ast.AST:
    if not binding:
        return node
    return ast.fix_missing_locations(Subst(binding).visit(copy.deepcopy(node)))


def function_value(fn: ast.FunctionDef, call_args: list[ast.AST], var: str) -> ast.AST | None:
    """The return expression of ``fn`` that reads ``var`` (locals and arguments substituted)."""
    binding: dict[str, ast.AST] = {}
    params = fn.args.posonlyargs + fn.args.args
    for p, a in zip(params, call_args):
        binding[p.arg] = a
    assigned: dict[str, list[ast.AST]] = defaultdict(list)
    returns: list[ast.AST] = []
    for n in ast.walk(fn):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            assigned[n.targets[0].id].append(n.value)
        elif isinstance(n, ast.Return) and n.value is not None:
            returns.append(n.value)
        elif isinstance(n, (ast.FunctionDef, ast.Lambda)) and n is not fn:
            pass
    for name, vals in assigned.items():
        if len(vals) == 1 and name not in binding:
            binding[name] = vals[0]
    for _ in range(3):  # locals that use other locals
        binding = {k: substitute(v, {kk: vv for kk, vv in binding.items() if kk != k}) for k, v in binding.items()}
    for r in returns:
        e = substitute(r, binding)
        if any(read_name(n) == var for n in ast.walk(e)):
            return e
    return None


def parents_of(root: ast.AST) -> dict[ast.AST, ast.AST]:
    out = {}
    for p in ast.walk(root):
        for c in ast.iter_child_nodes(p):
            out[c] = p
    return out


CONVERTERS = {
    "int": "int", "float": "float", "str": "str", "bool": "bool",
    "maybe_convert_int": "int", "maybe_convert_bool": "bool_int",
    "maybe_convert_json_str_or_file": "json", "json.loads": "json",
    "os.path.expanduser": "path", "os.path.abspath": "path", "os.path.realpath": "path",
    "os.path.expandvars": "path", "Path": "path", "pathlib.Path": "path",
    "set": "set", "frozenset": "set", "list": "list", "tuple": "list",
}


def chain_of(read: ast.AST, root: ast.AST, parents: dict) -> tuple[list[tuple], str | None]:
    """The operations applied to the raw value, innermost first, and why the climb stopped."""
    steps: list[tuple] = []
    node = read
    while node is not root:
        p = parents.get(node)
        if p is None:
            break
        if isinstance(p, ast.IfExp):
            if node is p.test:
                return steps, "test"
            node = p
            continue
        if isinstance(p, (ast.BoolOp, ast.NamedExpr, ast.Expr)):
            node = p
            continue
        if isinstance(p, ast.Attribute) and node is p.value:
            gp = parents.get(p)
            if isinstance(gp, ast.Call) and gp.func is p:
                steps.append(("method", p.attr, gp))
                node = gp
                continue
            return steps, "attribute"
        if isinstance(p, ast.Call) and node in p.args:
            if isinstance(p.func, ast.Attribute) and p.func.attr == "get" and isinstance(p.func.value, ast.Dict):
                steps.append(("map", p.func.value))
            else:
                steps.append(("call", dotted(p.func) or ast.unparse(p.func)))
            node = p
            continue
        if isinstance(p, ast.Subscript) and node is p.slice and isinstance(p.value, ast.Dict):
            steps.append(("map", p.value))
            node = p
            continue
        if isinstance(p, ast.Compare) and len(p.ops) == 1:
            other = p.comparators[0] if node is p.left else p.left
            op = p.ops[0]
            strs = str_list(other) if isinstance(op, (ast.In, ast.NotIn)) else (
                [const_str(other)] if const_str(other) is not None else None)
            if isinstance(op, (ast.In, ast.NotIn)) and node is not p.left and const_str(p.left) is not None:
                steps.append(("contains", type(op).__name__, [const_str(p.left)]))
                node = p
                continue
            if strs is not None and isinstance(op, (ast.In, ast.NotIn, ast.Eq, ast.NotEq)) and node is p.left:
                steps.append(("compare", type(op).__name__, strs))
                pp = parents.get(p)
                if isinstance(pp, ast.IfExp) and pp.test is p:
                    return steps, "check"
                node = p
                continue
            return steps, "test"
        if isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not):
            steps.append(("not",))
            node = p
            continue
        return steps, type(p).__name__
    return steps, None


def interpret_chain(steps: list[tuple]) -> dict:
    """type / bool_parse / normalize / sep from the chain of operations."""
    t = "str"
    out: dict = {}
    norm: list[str] = []
    for step in steps:
        kind = step[0]
        if kind == "method":
            attr, call = step[1], step[2]
            if attr in ("lower", "upper", "strip", "lstrip", "rstrip", "casefold", "replace", "title") and t == "str":
                norm.append(attr if attr != "replace" else "replace(" + ", ".join(ast.unparse(a) for a in call.args) + ")")
            elif attr == "split" and t == "str":
                t = "list"
                sep = const_str(call.args[0]) if call.args else None
                out["sep"] = sep if sep is not None else "whitespace"
            elif attr in ("isdigit", "startswith", "endswith"):
                return {"type": "str", "note": f"value tested with .{attr}()"}
            else:
                out.setdefault("note", f".{attr}() applied")
        elif kind == "call":
            conv = CONVERTERS.get(step[1])
            if conv is None:
                out["converter"] = step[1]
                t = "str" if t == "str" else t
                break
            if conv == "bool":
                if t == "int":
                    t, out["bool_parse"] = "bool", {"how": "int"}
                elif t == "str":
                    t, out["bool_parse"] = "bool", {"how": "nonempty"}
                    if norm:
                        out["bool_parse"]["normalize"] = norm
            elif conv == "bool_int":
                t, out["bool_parse"] = "bool", {"how": "int"}
            elif conv in ("set", "list"):
                t = "set" if conv == "set" else "list"
            elif conv == "str":
                pass
            else:
                t = conv
        elif kind == "compare":
            op, strs = step[1], step[2]
            how = "in" if op in ("In", "Eq") else "not_in"
            t = "bool"
            bp = {"how": how, "values": strs}
            if norm:
                bp["normalize"] = norm
            out["bool_parse"] = bp
        elif kind == "contains":
            t = "bool"
            out["bool_parse"] = {"how": "contains" if step[1] == "In" else "not_contains", "values": step[2]}
            if norm:
                out["bool_parse"]["normalize"] = norm
        elif kind == "map":
            d = step[1]
            keys = [const_str(k) for k in d.keys]
            vals = [v.value if isinstance(v, ast.Constant) else ast.unparse(v) for v in d.values]
            if all(k is not None for k in keys) and all(isinstance(v, bool) for v in vals):
                t = "bool"
                out["bool_parse"] = {"how": "map", "values": dict(zip(keys, vals))}
                if norm:
                    out["bool_parse"]["normalize"] = norm
            else:
                t = "str"
                out["choices"] = [k for k in keys if k is not None]
                out["choices_from"] = "checked"
        elif kind == "not" and t == "bool" and "bool_parse" in out:
            out["bool_parse"]["negated"] = True
    out["type"] = t
    if norm and t in ("str", "list", "path"):
        out["normalize"] = norm
    return out


def norm_annotation(ann: ast.AST | None) -> str | None:
    if ann is None:
        return None
    text = ast.unparse(ann)
    for _ in range(3):
        text = re.sub(r"\bOptional\[([^\[\]]*(?:\[[^\[\]]*\])?[^\[\]]*)\]", r"\1 | None", text)
    text = re.sub(r"\bList\[", "list[", text)
    text = re.sub(r"\bDict\[", "dict[", text)
    text = re.sub(r"\bSet\[", "set[", text)
    text = re.sub(r"\bTuple\[", "tuple[", text)
    return compact(text, 300)


def literal_choices(ann: ast.AST | None) -> list[str] | None:
    """Values of a Literal[...] in the annotation."""
    if ann is None:
        return None
    for n in ast.walk(ann):
        if isinstance(n, ast.Subscript) and dotted(n.value) in ("Literal", "typing.Literal"):
            elts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            vals = [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if vals:
                return vals
    return None


CHOICE_HELPERS = {"env_with_choices": "choice", "env_list_with_choices": "list", "env_set_with_choices": "set"}


def analyze(var: str, value: ast.AST, mod: Module, ann: ast.AST | None) -> dict:
    """The facts of one dict entry."""
    spec: dict = {}
    expr: ast.AST | None = None     # the expression that produces the value
    fold_node: ast.AST | None = None  # what to fold for the default
    if isinstance(value, ast.Call) and dotted(value.func) == "deprecated_env" and len(value.args) >= 4:
        spec["deprecated"] = {"removal": const_str(value.args[1]) or ast.unparse(value.args[1]),
                              "message": const_str(value.args[2]) or ast.unparse(value.args[2])}
        spec["wrapper"] = "deprecated_env"
        value = value.args[3]
    if isinstance(value, ast.Call) and dotted(value.func) in CHOICE_HELPERS:
        helper = dotted(value.func)
        args = list(value.args) + [None] * 4
        kw = {k.arg: k.value for k in value.keywords}
        default = kw.get("default", args[1])
        choices = kw.get("choices", args[2])
        case = kw.get("case_sensitive", args[3])
        spec["type"] = CHOICE_HELPERS[helper]
        spec["wrapper"] = helper
        lst = str_list(choices)
        if lst is not None:
            spec["choices"] = lst
        elif choices is not None:
            spec["choices_expr"] = compact(ast.unparse(choices))
            resolved = enum_members(choices, mod.root)
            if resolved:
                spec["choices"], spec["choices_source"] = resolved
        spec["choices_from"] = "validated"
        spec["case_sensitive"] = bool(case.value) if isinstance(case, ast.Constant) else True
        if helper != "env_with_choices":
            spec["sep"] = ","
        fold_node = default
        if default is None:
            spec["default"] = None
    elif isinstance(value, ast.Call) and dotted(value.func) == "get_env_or_set_default":
        spec["type"] = "str"
        spec["wrapper"] = "get_env_or_set_default"
        factory = value.args[1] if len(value.args) > 1 else None
        spec["default_expr"] = f"generated by {ast.unparse(factory)}() and written back to os.environ" if factory is not None \
            else "generated"
    else:
        fn_call: tuple[ast.FunctionDef, list] | None = None
        body = value.body if isinstance(value, ast.Lambda) else value
        if isinstance(body, ast.Name) and body.id in mod.functions:
            fn_call = (mod.functions[body.id], [])
        elif isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in mod.functions \
                and not any(read_name(n) == var for n in ast.walk(body)):
            fn_call = (mod.functions[body.func.id], list(body.args))
            spec["wrapper"] = body.func.id
        if fn_call is not None:
            fn, call_args = fn_call
            spec.setdefault("wrapper", fn.name)
            expr = function_value(fn, call_args, var)
            fold_node = ast.Call(func=ast.Name(id=fn.name, ctx=ast.Load()), args=call_args, keywords=[])
        else:
            expr = body
            fold_node = body
        if expr is None:
            spec["type"] = "str"
            spec["ignored"] = True
            spec["note"] = f"computed by {spec.get('wrapper')}(), which reads no value of {var}: setting it has no effect"
        else:
            parents = parents_of(expr)
            reads = [n for n in ast.walk(expr) if read_name(n) == var]
            choices = None
            chosen = None
            for r in reads:
                steps, stop = chain_of(r, expr, parents)
                if stop == "check" and steps and steps[-1][0] == "compare":
                    choices = steps[-1][2]
                    continue
                if stop == "test":
                    continue
                chosen = (steps, stop)
                break
            if chosen is None and reads:
                chosen = chain_of(reads[0], expr, parents)
            others_reads = [n for n in ast.walk(expr) if read_name(n) and read_name(n) != var]
            if chosen is None and others_reads:  # derived from other variables only
                chosen = chain_of(others_reads[0], expr, parents)
            info = interpret_chain(chosen[0]) if chosen else {"type": "str"}
            spec.update({k: v for k, v in info.items() if k not in spec})
            if choices and "choices" not in spec:
                spec["choices"] = choices
                spec["choices_from"] = "checked"
            others = sorted({n for node in ast.walk(expr) for n in (read_name(node), membership_name(node))
                             if n and n != var})
            if others:
                spec["also_reads"] = others
            if not reads:
                spec["ignored"] = True
                spec["note"] = (f"the getter does not read {var}" +
                                (f"; it reads {', '.join(others)}" if others else "") + ": setting it has no effect")
    # default
    if "default" not in spec and "default_expr" not in spec and fold_node is not None:
        try:
            spec["default"] = yaml_value(ev(fold_node if not isinstance(fold_node, ast.Lambda) else fold_node.body, mod, {}))
        except NoEval:
            text = None
            if expr is not None:
                for n in ast.walk(expr):
                    if read_name(n) == var and isinstance(n, ast.Call) and len(n.args) > 1:
                        try:
                            ev(n.args[1], mod, {})
                        except NoEval:
                            text = ast.unparse(n.args[1])
                        break
            spec["default_expr"] = compact(text or ast.unparse(expr if expr is not None else fold_node), 300)
    elif "default" not in spec and "default_expr" not in spec:
        spec["default"] = None
    annotation = norm_annotation(ann)
    if annotation:
        spec["annotation"] = annotation
        lc = literal_choices(ann)
        if lc and "choices" not in spec and "choices_expr" not in spec and spec.get("type") in ("str", "list", "set"):
            spec["choices"] = lc
            spec["choices_from"] = "annotation"
    if spec.get("ignored") and "default" in spec and not (expr is not None and any(read_name(n) for n in ast.walk(expr))):
        d = spec["default"]
        spec["type"] = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(d), spec["type"])
    if spec.get("type") == "str" and spec.get("choices_from") in ("validated", "checked"):
        spec["type"] = "choice"
    return spec


# --------------------------------------------------------------------------- envs.py of one release

BANNER = re.compile(r"^#\s*(=+|-{3,}|--8<--|begin-|end-|\[start|\[end)")


def comment_above(lines: list[str], lineno: int) -> list[str]:
    out: list[str] = []
    i = lineno - 2
    while i >= 0:
        s = lines[i].strip()
        if not s.startswith("#") or BANNER.match(s):
            break
        out.append(s.lstrip("#").strip())
        i -= 1
    return list(reversed(out))


SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[*])")


def join_comment(lines: list[str]) -> str:
    """Comment lines as text; a line without final punctuation followed by one that starts a new
    sentence (capital letter, list dash) ends a sentence: a period is added there."""
    out = ""
    for ln in lines:
        ln = re.sub(r"\s*#\s*noqa\b.*$", "", ln).strip()
        if not ln:
            continue
        if out and re.match(r"^([A-Z][a-z]|- |`)", ln) and not re.search(r"[.!?:;,(\[-]$", out) \
                and not re.search(r"\b(the|a|an|of|to|and|or|in|for|with|by|is|are|be|if|when|that|this|on|at|as|from)$", out, re.IGNORECASE):
            out += "."
        out = f"{out} {ln}" if out else ln
    return out


ABBREV = re.compile(r"(\b(e\.g|i\.e|etc|vs|approx|cf|resp|incl|Eq|No|[A-Za-z])\.|\.\.\.)$")


def split_sentences(text: str) -> list[str]:
    parts, start = [], 0
    for m in SENTENCE.finditer(text):
        if ABBREV.search(text[start:m.start()]):
            continue
        parts.append(text[start:m.start()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def first_sentences(text: str, n: int = 2, limit: int = 400) -> str:
    parts = split_sentences(text)
    out = " ".join(parts[:n]).strip()
    if len(out) > limit and len(parts) > 1:
        out = parts[0].strip()
    if len(out) > limit:
        out = out[: limit - 3].rstrip() + "..."
    return out


def read_envs(path: Path) -> dict | None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    mod = Module(tree, path.parent.parent)
    annotations: dict[str, ast.AST] = {}
    docstrings: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and dotted(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            prev = None
            for s in node.body:
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
                    annotations[s.target.id] = s.annotation
                    prev = s.target.id
                elif isinstance(s, ast.Expr) and const_str(s.value) and prev:
                    docstrings[prev] = " ".join(const_str(s.value).split())
                else:
                    prev = None
    table = None
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "environment_variables" and isinstance(node.value, ast.Dict):
            table = node.value
    if table is None:
        return None
    out: dict[str, dict] = {}
    for k, v in zip(table.keys, table.values):
        name = const_str(k)
        if name is None:
            print(f"warning: {path}: non-literal key {ast.unparse(k) if k else '**'}", file=sys.stderr)
            continue
        spec = analyze(name, v, mod, annotations.get(name))
        comment = comment_above(lines, k.lineno)
        joined = join_comment(comment)
        doc = first_sentences(joined) if joined else ""
        if not doc and name in docstrings:
            doc = first_sentences(docstrings[name])
        dep = [s for s in split_sentences(joined) if re.search(r"deprecat", s, re.IGNORECASE)] if joined else []
        out[name] = {"spec": spec, "line": k.lineno, "doc": doc,
                     "doc_from": "comment" if joined else ("docstring" if doc else None),
                     "comment_deprecation": [compact(s, 300) for s in dep]}
    return {"vars": out, "unknown_check": unknown_check(path.parent.parent)}


UNKNOWN_CHECK_FILES = (ENVS, "vllm/platforms/interface.py")


def unknown_check(root: Path) -> dict | None:
    """The function that rejects / warns about VLLM_* variables missing from environment_variables."""
    for rel in UNKNOWN_CHECK_FILES:
        path = root / rel
        tree = parse(path) if path.is_file() else None
        if tree is None:
            continue
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                code = ast.unparse(fn)
                if "startswith('VLLM_')" in code and "environment_variables" in code:
                    inner = {id(v) for n in ast.walk(fn) if isinstance(n, ast.JoinedStr) for v in n.values}
                    msgs = sorted({s for n in ast.walk(fn) if id(n) not in inner
                                   for s in [string_text(n)] if s and "nknown" in s})
                    out = {"function": fn.name, "messages": msgs, "source": src_ref(rel, fn.lineno, root.name)}
                    calls = []
                    for cpath in sorted((root / "vllm").rglob("*.py")):
                        data = cpath.read_text(encoding="utf-8", errors="replace")
                        if f"{fn.name}(" not in data:
                            continue
                        ctree = parse(cpath)
                        for c in ast.walk(ctree) if ctree else []:
                            if isinstance(c, ast.Call) and (dotted(c.func) or "").endswith(fn.name):
                                calls.append(src_ref(cpath.relative_to(root).as_posix(), c.lineno, root.name) + ": " +
                                             compact(ast.unparse(c), 160))
                    if calls:
                        out["called_from"] = calls
                    return out
    return None


# --------------------------------------------------------------------------- notices (source-wide search)

KEYWORDS = re.compile(r"deprecat|no longer|\bremoved\b|renamed|replaced|obsolete|is ignored|has no effect|"
                      r"not supported anymore|will be removed", re.IGNORECASE)
NAME_RE = re.compile(r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9_]{2,})(?![A-Za-z0-9_])")
LOG_METHODS = {"warning", "warning_once", "warn", "info", "info_once", "error", "debug", "warn_once", "critical"}


def string_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue):
                parts.append("{" + ast.unparse(v.value) + "}")
        return "".join(parts)
    return None


def docstring_ids(tree: ast.AST) -> set[int]:
    """Strings that are statements of their own (docstrings, attribute docstrings): never messages."""
    return {id(n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Expr) and isinstance(n.value, (ast.Constant, ast.JoinedStr))}


def says_deprecated(s: str, known: set[str]) -> bool:
    """The message (variable names blanked out) uses one of the KEYWORDS."""
    return bool(KEYWORDS.search(NAME_RE.sub(lambda m: "_" if m.group(1) in known else m.group(1), s)))


def file_findings(tree: ast.Module, known: set[str]) -> list[dict]:
    """(var, text, line, via) for the deprecation-like messages of one file (docstrings excluded)."""
    found: list[dict] = []
    skip = docstring_ids(tree)
    functions: dict[str, list[ast.FunctionDef]] = defaultdict(list)
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[n.name].append(n)
    # f-string parts are Constants too: only take top-level strings
    inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values} | skip
    for n in ast.walk(tree):
        if id(n) in inner:
            continue
        s = string_text(n)
        if not s or not says_deprecated(s, known):
            continue
        names = [m for m in NAME_RE.findall(s) if m in known]
        if names:
            found.append({"var": names[0], "text": s, "line": n.lineno, "via": None})

    def messages_in(fn_name: str, depth: int = 0) -> list[tuple[str, int]]:
        out = []
        for fn in functions.get(fn_name, []):
            for m in ast.walk(fn):
                s = string_text(m) if id(m) not in inner else None  # inner includes the docstrings
                if s and says_deprecated(s, known) and re.search(r"deprecat|removed|no longer|renamed|replaced", s, re.IGNORECASE):
                    out.append((s, m.lineno))
                if depth < 2 and isinstance(m, ast.Call):
                    callee = m.func.attr if isinstance(m.func, ast.Attribute) else (m.func.id if isinstance(m.func, ast.Name) else None)
                    if callee and callee != fn_name and callee in functions:
                        out.extend(messages_in(callee, depth + 1))
        return out

    # tables such as _DEPRECATED_ENV_VARS = {"VLLM_X": "new_key"} read by a function that warns
    for n in ast.walk(tree):
        target = n.targets[0] if isinstance(n, ast.Assign) and len(n.targets) == 1 else (
            n.target if isinstance(n, ast.AnnAssign) else None)
        if not isinstance(target, ast.Name) or not isinstance(getattr(n, "value", None), ast.Dict):
            continue
        keys = [(const_str(k), v) for k, v in zip(n.value.keys, n.value.values) if const_str(k) in known]
        if not keys:
            continue
        msgs = []
        for fname, fns in functions.items():
            if any(isinstance(m, ast.Name) and m.id == target.id for fn in fns for m in ast.walk(fn)):
                msgs += messages_in(fname)
        for key, val in keys:
            for text, line in msgs:
                found.append({"var": key, "text": text, "line": line,
                              "via": f"{target.id}[{key!r}] = {compact(ast.unparse(val), 120)} (line {n.lineno})"})
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        args = list(n.args) + [k.value for k in n.keywords]
        names = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value in known]
        if not names:
            continue
        callee = n.func.attr if isinstance(n.func, ast.Attribute) else (n.func.id if isinstance(n.func, ast.Name) else None)
        if callee in LOG_METHODS and n.args:
            s = string_text(n.args[0])
            if s and says_deprecated(s, known):
                found.append({"var": names[0], "text": s, "line": n.lineno, "via": compact(ast.unparse(n), 200)})
            continue
        if callee and callee in functions:
            for s, line in messages_in(callee):
                found.append({"var": names[0], "text": s, "line": line,
                              "via": f"{compact(ast.unparse(n), 200)} (line {n.lineno})"})
    return found


def search_notices(src: Path, releases: list[str], known: set[str]) -> dict[str, list[dict]]:
    """var -> notices [{text, file, line, via, present: [releases]}]."""
    cache: dict[str, list[dict]] = {}
    hits: dict[tuple, dict] = {}
    for rel in releases:
        root = src / rel
        for path in sorted((root / "vllm").rglob("*.py")):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if b"VLLM_" not in data:
                continue
            key = hashlib.sha1(data).hexdigest()
            if key not in cache:
                try:
                    tree = ast.parse(data.decode("utf-8"))
                except (SyntaxError, UnicodeDecodeError, ValueError):
                    cache[key] = []
                    continue
                cache[key] = file_findings(tree, known)
            relpath = path.relative_to(root).as_posix()
            for f in cache[key]:
                k = (f["var"], f["text"], relpath, f["via"] and re.sub(r" \(line \d+\)$", "", f["via"]))
                h = hits.setdefault(k, {"var": f["var"], "text": f["text"], "file": relpath, "line": f["line"],
                                        "via": f["via"], "first": rel, "present": []})
                if h["present"] and h["present"][-1] == rel:
                    continue
                h["present"].append(rel)
    out: dict[str, list[dict]] = defaultdict(list)
    for h in hits.values():
        out[h["var"]].append(h)
    return out


# --------------------------------------------------------------------------- build

SPEC_ORDER = ["type", "ignored", "default", "default_expr", "bool_parse", "choices", "choices_expr", "choices_source", "choices_from",
              "case_sensitive", "sep", "normalize", "annotation", "wrapper", "deprecated", "also_reads",
              "converter", "note"]


def ordered(spec: dict) -> dict:
    return {k: spec[k] for k in SPEC_ORDER if k in spec}


def spec_key(spec: dict) -> str:
    """Facts compared between releases (line numbers and release names of cited files left out)."""
    return re.sub(r":\d+ \([^)]*\)", "", repr(ordered(spec)))


def build(src: Path, releases: list[str]) -> tuple[dict, dict]:
    per: dict[str, dict] = {}
    for rel in releases:
        data = read_envs(src / rel / ENVS)
        if data is None:
            print(f"warning: {rel}: no environment_variables dict", file=sys.stderr)
            continue
        per[rel] = data
        print(f"{rel}: {len(data['vars'])} variables", file=sys.stderr)
    rels = [r for r in releases if r in per]
    newest = rels[-1]
    names = sorted({n for d in per.values() for n in d["vars"]})
    known = set(names)
    print("searching the release trees for notices ...", file=sys.stderr)
    notices = search_notices(src, rels, known)

    def notice_entries(name: str) -> list[dict]:
        out = []
        for h in sorted(notices.get(name, []), key=lambda h: (Version(h["first"]), h["file"], h["line"])):
            e = {"text": h["text"]}
            e["source"] = src_ref(h["file"], h["line"], h["first"])
            e.update(life(h["present"], rels))
            if h["via"]:
                e["via"] = h["via"]
            out.append(e)
        return out

    variables: dict[str, dict] = {}
    removed: dict[str, dict] = {}
    for name in names:
        present = [r for r in rels if name in per[r]["vars"]]
        entry = life(present, rels)
        # doc: newest release with a non-empty one
        for r in reversed(present):
            v = per[r]["vars"][name]
            if v["doc"]:
                entry["doc"] = v["doc"]
                entry["doc_source"] = src_ref(ENVS, v["line"], r) + (" docstring" if v["doc_from"] == "docstring" else "")
                break
        specs: list[dict] = []
        prev_key = None
        prev_rel_idx = None
        for r in present:
            v = per[r]["vars"][name]
            key = spec_key(v["spec"])
            idx = rels.index(r)
            if specs and key == prev_key and prev_rel_idx == idx - 1:
                prev_rel_idx = idx
                continue
            if specs and "until" not in specs[-1] and prev_rel_idx + 1 < len(rels):
                specs[-1]["until"] = rels[prev_rel_idx + 1]
            s = {"since": r}
            s.update(ordered(v["spec"]))
            s["source"] = src_ref(ENVS, v["line"], r)
            specs.append(s)
            prev_key, prev_rel_idx = key, idx
        if specs and prev_rel_idx + 1 < len(rels) and "until" not in specs[-1]:
            specs[-1]["until"] = rels[prev_rel_idx + 1]
        # put "until" right after "since"
        specs = [{"since": s["since"], **({"until": s["until"]} if "until" in s else {}),
                  **{k: x for k, x in s.items() if k not in ("since", "until")}} for s in specs]
        entry["specs"] = specs
        # comment sentences that say deprecated
        dep: dict[str, list[str]] = {}
        for r in present:
            for sent in per[r]["vars"][name]["comment_deprecation"]:
                dep.setdefault(sent, []).append(r)
        comment_notices = []
        for sent, rs in dep.items():
            e = {"text": sent, "source": src_ref(ENVS, per[rs[0]]["vars"][name]["line"], rs[0]) + " comment"}
            e.update(life(rs, rels))
            comment_notices.append(e)
        found = comment_notices + notice_entries(name)
        if name in per[newest]["vars"]:
            if found:
                entry["notices"] = found
            variables[name] = entry
        else:
            variables[name] = entry
            last = present[-1]
            gone = rels[rels.index(last) + 1]
            removed[name] = {"last_release": last, "removed_in": gone,
                             "source": f"{src_ref(ENVS, per[last]['vars'][name]['line'], last)}; absent from {ENVS} ({gone})",
                             "notices": found}
    # lines of the first release without the variable that still name it (any file)
    by_release: dict[str, list[str]] = defaultdict(list)
    for name, r in removed.items():
        by_release[r["removed_in"]].append(name)
    for rel, group in by_release.items():
        pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(group, key=len, reverse=True))) +
                             r")(?![A-Za-z0-9_])")
        root = src / rel
        for path in sorted((root / "vllm").rglob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if not pattern.search(text):
                continue
            for i, line in enumerate(text.splitlines(), 1):
                for m in set(pattern.findall(line)):
                    lst = removed[m].setdefault("mentioned_in_removal_release", [])
                    if len(lst) < 6:
                        lst.append({"source": src_ref(path.relative_to(root).as_posix(), i, rel), "line": compact(line, 240)})
    return {"per": per, "rels": rels, "variables": variables, "removed": removed}, notices


# --------------------------------------------------------------------------- YAML


class Str(str):
    """A string YAML always quotes (versions such as 0.10 must stay strings)."""


class Flow(dict):
    pass


class FlowList(list):
    pass


class Dumper(yaml.SafeDumper):
    pass


Dumper.add_representer(Str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
Dumper.add_representer(Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))

VERSION_KEYS = {"since", "until", "last_release", "removed_in"}


def styled(obj, key: str = "", flow_limit: int = 400):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(k, str) and re.fullmatch(r"[0-9][0-9.]*(\.post[0-9]+)?", k):
                k = Str(k)
            if k in VERSION_KEYS and isinstance(v, str):
                out[k] = Str(v)
            elif k in ("default", "choices", "values") and not isinstance(v, dict):
                out[k] = FlowList(v) if isinstance(v, list) else v
            else:
                out[k] = styled(v, k, flow_limit)
        leaf = all(not isinstance(v, (dict, list)) or isinstance(v, (Flow, FlowList)) for v in out.values())
        if key in ("specs_item", "bool_parse", "deprecated", "range") or (leaf and len(repr(obj)) <= flow_limit
                                                                          and key not in ("variables", "removed")):
            return Flow(out)
        return out
    if isinstance(obj, list):
        if key == "specs":
            return [styled(v, "specs_item") for v in obj]
        if key == "ranges":
            return FlowList(styled(v, "range") for v in obj)
        items = [styled(v, key + "_item", flow_limit) for v in obj]
        if all(not isinstance(v, (dict, list)) for v in items):
            return FlowList(Str(v) if key in ("releases", "present") else v for v in items)
        return items
    return obj


def write(path: Path, result: dict) -> None:
    per, rels, variables, removed = result["per"], result["rels"], result["variables"], result["removed"]
    counts = {r: len(per[r]["vars"]) for r in rels}
    vllm_counts = {r: sum(1 for n in per[r]["vars"] if n.startswith("VLLM_")) for r in rels}
    checks = [(r, per[r]["unknown_check"]) for r in rels if per[r]["unknown_check"]]
    check_specs: list[dict] = []
    for r, c in checks:
        key = re.sub(r":\d+ \([^)]*\)", "", repr(c))
        if check_specs and check_specs[-1]["_key"] == key and rels.index(check_specs[-1]["_last"]) == rels.index(r) - 1:
            check_specs[-1]["_last"] = r
            continue
        check_specs.append({"_key": key, "_first": r, "_last": r, **c})
    for c in check_specs:
        c["since"] = c.pop("_first")
        last = c.pop("_last")
        c.pop("_key")
        if rels.index(last) + 1 < len(rels):
            c["until"] = rels[rels.index(last) + 1]
        for k in ("function", "messages", "called_from", "source"):
            if k in c:
                c[k] = c.pop(k)
    data: dict = {"schema": "vllm-envs/1", "releases": rels,
                  "counts": {r: {"all": counts[r], "vllm": vllm_counts[r], "source": f"{ENVS} ({r})"} for r in rels}}
    if check_specs:
        data["unknown_vllm_variable_check"] = check_specs
    data["variables"] = variables
    data["removed"] = removed
    header = [
        "# Environment variables of each vLLM release: the keys of `environment_variables` in vllm/envs.py,",
        "# with what each getter returns (type), its value when unset (default, or default_expr when computed),",
        "# how bools are parsed (bool_parse), the allowed values (choices) and the comment that documents it.",
        f"# Generated by {SCRIPT} (do not edit by hand); read statically with ast, vLLM is never",
        "# imported or run. Regenerate with (SRC = release trees SRC/<version>/vllm/... as extracted by",
        "# knowledge/tools/fetch_vllm_sources.py from the release wheels):",
        "#   python knowledge/tools/fetch_vllm_sources.py --wheels WHEELS --src SRC <every version of `releases`>",
        f"#   {COMMAND}",
        "# since = first release with it; until = first later release without it (absent: still in the newest",
        "# release); ranges = every stretch when it disappeared and came back. specs: one entry per stretch of",
        "# releases with the same facts; source = vllm/envs.py:LINE (first release of the stretch).",
        "# bool_parse.how: int = bool(int(v)), non-integers such as 'true' raise ValueError; in / not_in = true iff",
        "# the value (after `normalize`) is / is not in `values`, anything else is false, no error; nonempty =",
        "# bool(v), any non-empty string is true (even '0'); map = dict lookup, unlisted values give None.",
        "# choices_from: validated = env_with_choices & co. raise ValueError on other values; checked = the getter",
        "# compares against the list; annotation = only the Literal[...] type hint, not enforced by envs.py.",
        "# notices: messages of the release sources naming the variable that say deprecated / removed / renamed /",
        "# use ... instead, verbatim (f-string fields as {expr}), with file:line (first release) and the releases",
        "# that contain them; `via` = the call that passes the variable name to the function holding the message.",
        "# removed = variables absent from the newest release (mentioned_in_removal_release: lines of the first",
        "# release without it that still name it). counts: keys of environment_variables per release (vllm = VLLM_*).",
        "# unknown_vllm_variable_check: the function that warns about / rejects VLLM_* variables not in the dict.",
    ]
    text = yaml.dump(styled(data), Dumper=Dumper, sort_keys=False, width=160, allow_unicode=True)
    path.write_text("\n".join(header) + "\n" + text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True, type=Path, help="folder of release trees SRC/<version>/vllm/...")
    ap.add_argument("--out", default=Path("knowledge/vllm/envs.yaml"), type=Path)
    ap.add_argument("releases", nargs="*", help="only these releases (default: every release under --src)")
    a = ap.parse_args(argv)
    releases = releases_under(a.src)
    if a.releases:
        missing = sorted(set(a.releases) - set(releases))
        if missing:
            print(f"warning: not under --src: {' '.join(missing)}", file=sys.stderr)
        releases = [r for r in releases if r in set(a.releases)]
    if not releases:
        print("no release trees found", file=sys.stderr)
        return 1
    result, _ = build(a.src, releases)
    write(a.out, result)
    print(f"wrote {a.out}: {len(result['variables'])} variables, {len(result['removed'])} removed, "
          f"{len(result['rels'])} releases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
