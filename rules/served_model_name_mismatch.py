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
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*b(?![a-z])", re.I)


def family(name: str) -> tuple[str, str | None] | None:
    m = _FAMILY.search(name.rsplit("/", 1)[-1])
    return (m.group(1).lower(), m.group(2)) if m else None


def size(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1].replace("_", "-")
    m = _SIZE.search(base.replace("-", " "))
    if not m:
        return None
    number = m.group(1)
    return number.rstrip("0").rstrip(".") if "." in number else number


def check(deployment, ctx):
    model = deployment.model
    arg = deployment.arg("served-model-name")
    if not model or arg is None or not arg.value or "$" in model:
        return
    model_family, model_size = family(model), size(model)
    names = arg.value.split()
    for name in names:
        served_family, served_size = family(name), size(name)
        problems = []
        if served_family and model_family and (served_family[0] != model_family[0] or (
                served_family[1] and model_family[1] and served_family[1] != model_family[1])):
            problems.append(f"family {''.join(x for x in served_family if x)} vs {''.join(x for x in model_family if x)}")
        if served_size and model_size and served_size != model_size:
            problems.append(f"size {served_size}B vs {model_size}B")
        if problems:
            yield ctx.finding(arg.value_or_flag_span, f"--served-model-name {name} for {model}: {', '.join(problems)}",
                              hint="name the model after what it is, or serve the model the name promises")
