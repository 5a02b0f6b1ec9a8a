"""``--served-model-name`` names another model family or size than the model served.

## What it does
Reads the family (``qwen2``, ``qwen3``, ``llama-3.1``, ``mistral``, ``gemma-2``, ...) and the size
(``1.5b``, ``32b``, ``30b-a3b``) from the Hugging Face id and from each served name, and warns when a
served name states a different one.

## Why is this bad?
Clients choose a model by its served name; a name that promises another model misleads every
user and every benchmark. Seed report 004 serves ``Qwen/Qwen2-1.5B-Instruct-AWQ`` as
``qwen3-1.7b-awq`` and ``Qwen/Qwen2-7B-Instruct-AWQ`` as ``qwen3-8b-awq``.

## Example
```yaml
    command: ["--model=Qwen/Qwen2-1.5B-Instruct-AWQ", "--served-model-name", "qwen3-1.7b-awq"]
```

Names that must avoid dots (Kubernetes object names) write ``1.5b`` as ``1-5b`` and ``qwen2.5`` as
``qwen2-5``: a number split by ``-`` or ``_`` is read both ways, and only a size or version that
neither reading matches is reported.

## Fix
Serve the model the name promises (``Qwen/Qwen3-1.7B-AWQ``), or name it after what it is.
"""
import re

CODE = "VLL309"
NAME = "served-model-name-mismatch"
CATEGORY = "model"
SEVERITY = "warning"

_FAMILY = re.compile(r"(qwen|llama|mistral|mixtral|gemma|phi|deepseek|glm|internlm|yi|falcon|granite|olmo|minicpm)"
                     r"[-_ ]?(\d+(?:\.\d+)?)?", re.I)
_FAMILY_SPLIT = re.compile(r"(qwen|llama|mistral|mixtral|gemma|phi|deepseek|glm|internlm|yi|falcon|granite|olmo|minicpm)"
                           r"[-_ ]?(\d+)[-_](\d)(?![\d.])(?!\s*b(?![a-z]))", re.I)
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*b(?![a-z])", re.I)
_SPLIT_SIZE = re.compile(r"(?<![\w.])(\d+) (\d)\s*b(?![a-z])", re.I)  # "1-5b" once dashes are spaces


def family(name: str) -> tuple[str, str | None] | None:
    m = _FAMILY.search(name.rsplit("/", 1)[-1])
    return (m.group(1).lower(), m.group(2)) if m else None


def families(name: str) -> list[tuple[str, str | None]]:
    """Every reading of the family: ``qwen2-5-coder`` is qwen2 or qwen2.5."""
    found = family(name)
    out = [found] if found else []
    m = _FAMILY_SPLIT.search(name.rsplit("/", 1)[-1])
    if m:
        out.append((m.group(1).lower(), f"{m.group(2)}.{m.group(3)}"))
    return out


def _number(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def size(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1].replace("_", "-")
    m = _SIZE.search(base.replace("-", " "))
    if not m:
        return None
    return _number(m.group(1))


def sizes(name: str) -> list[str]:
    """Every reading of the size: ``qwen-coder-1-5b`` is 5B or 1.5B."""
    found = size(name)
    out = [found] if found else []
    m = _SPLIT_SIZE.search(name.rsplit("/", 1)[-1].replace("_", "-").replace("-", " "))
    if m:
        out.append(_number(f"{m.group(1)}.{m.group(2)}"))
    return out


def check(deployment, ctx):
    model = deployment.model
    arg = deployment.arg("served-model-name")
    if not model or arg is None or not arg.value or "$" in model:
        return
    model_family, model_size = family(model), size(model)
    names = arg.value.split()
    for name in names:
        served_families, served_sizes = families(name), sizes(name)
        problems = []
        if served_families and model_family and not any(_same_family(f, model_family) for f in served_families):
            served_family = served_families[0]
            problems.append(f"family {''.join(x for x in served_family if x)} vs {''.join(x for x in model_family if x)}")
        if served_sizes and model_size and model_size not in served_sizes:
            problems.append(f"size {served_sizes[0]}B vs {model_size}B")
        if problems:
            yield ctx.finding(arg.value_or_flag_span, f"--served-model-name {name} for {model}: {', '.join(problems)}",
                              hint="name the model after what it is, or serve the model the name promises")


def _same_family(served, model) -> bool:
    return served[0] == model[0] and (not served[1] or not model[1] or served[1] == model[1])
