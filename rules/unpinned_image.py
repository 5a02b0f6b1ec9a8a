"""The vLLM image is not pinned to a release (``:latest``, ``:nightly`` or no tag).

## What it does
Reports a vLLM container image without a version tag or digest: no tag, ``latest``, ``nightly``,
``main`` or ``dev``. Every check that depends on the vLLM release then has to assume one (the
configured ``vllm-version``, else the newest release known), and says so once per run.

## Why is this bad?
Which flags exist and which values they accept changes from release to release. Seed report 003
built the ``medium-vl`` profile on ``vllm/vllm-openai:latest``; seed report 002 then failed at
argument parsing (``--limit-mm-per-prompt``, ``--mm-encoder-tp-mode``), and its log printed a
version that cannot serve the model it loaded. A pinned tag makes the deployment reproducible and
lets the linter check the flags against the right release.

## Example
```yaml
    image: vllm/vllm-openai:latest
```

## Fix
Pin a release (``vllm/vllm-openai:v0.11.0``) or a digest (``vllm/vllm-openai@sha256:...``).
"""
CODE = "VLL102"
NAME = "unpinned-image"
CATEGORY = "reproducibility"
SEVERITY = "warning"
OPTIONS = {"floating-tags": ["latest", "nightly", "main", "dev"]}


def check(deployment, ctx):
    image = deployment.image
    if not image or deployment.image_span is None or "@" in image or "$" in image or "{{" in image:
        return  # a digest; or a template (${IMAGE}, {{ .Values.image }}) whose tag is chosen elsewhere
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag is None:
        yield ctx.finding(deployment.image_span, f"image {image!r} has no tag: it runs whatever 'latest' is on pull day",
                          hint="pin a release tag such as :v0.11.0, or a digest")
    elif tag in ctx.options["floating-tags"]:
        yield ctx.finding(deployment.image_span, f"image tag {tag!r} is not a release: the vLLM version changes on every pull",
                          hint="pin a release tag such as :v0.11.0, or a digest")
