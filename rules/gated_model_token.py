"""A gated model launched without a Hugging Face token in the deployment.

## What it does
When the model's Hub metadata (read from the Hub with this host's token, or from the models lock: the HF cache
and the bundled snapshot do not record it) marks the repository
gated (``gated: "auto"`` or ``"manual"``: the user must accept its terms and authenticate), checks that the
launch gives vLLM a token: ``HF_TOKEN`` or ``HUGGING_FACE_HUB_TOKEN`` in its environment (a literal, a variable,
a secret or an ``env_file``), ``HF_TOKEN_PATH``, or a volume at the token file (``~/.cache/huggingface/token``)
or at the whole Hugging Face home folder (``HF_HOME`` when the launch sets it), which holds it. Launches with
``HF_HUB_OFFLINE=1`` read only what the cache already has and are not judged. Compose services, ``docker run``
and Kubernetes containers: a container's ``env`` (``value``, ``valueFrom`` a Secret or ConfigMap key) and the
``envFrom`` Secrets and ConfigMaps of the tree are read; a container with an ``envFrom`` object that is not in the
tree (created in the cluster, by a Helm chart or an operator), or with environment entries a template fills in, is
not judged, since any variable may come from it; nor are operators' resources (KServe, KubeAI, AIBrix ...), whose
operator may pass the token itself. A script on the host inherits its shell's environment: not judged.

## Why is this bad?
The Hub answers 401 for every file of a gated repository requested without a token (``huggingface_hub``'s
``GatedRepoError``, "Access to model ... is restricted"), so vLLM stops before loading anything: the report of
https://github.com/vllm-project/vllm/issues/8331 ("401 Client Error" for a Llama 3 model with vLLM 0.6.0) is
this case. The check passes on a developer's machine, whose token the linter and the Hub client use, and fails
in the container.

## Example
```yaml
services:
  llm:
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]   # gated; no HF_TOKEN below
```
The same in a Kubernetes container with no ``env`` token, no ``envFrom`` and no volume at the token's place.

## Fix
Pass the token from a secret or the host's environment: ``environment: [HF_TOKEN]`` (compose passes the
host's value through) or ``-e HF_TOKEN`` for ``docker run``; in Kubernetes an ``env`` entry ``HF_TOKEN`` with
``valueFrom: {secretKeyRef: {name: hf-token, key: token}}`` (or ``envFrom`` the Secret); never the token itself in
the file.
"""
CODE = "VLL312"
NAME = "gated-model-token"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("model",)

_TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH")
_HOMES = ("/root/.cache/huggingface", "/.cache/huggingface", "/huggingface")
_HINTS = {
    "compose": "pass the token from a secret or the host: `environment: [HF_TOKEN]` (compose) or `-e HF_TOKEN` (docker run)",
    "docker-run": "pass the token from a secret or the host: `environment: [HF_TOKEN]` (compose) or `-e HF_TOKEN` "
                  "(docker run)",
    "kubernetes": "an env entry HF_TOKEN with valueFrom.secretKeyRef (a Secret holding the token), or envFrom the Secret",
}


def check(deployment, ctx):
    meta = ctx.model
    if meta.gated not in ("auto", "manual") or deployment.kind not in ("compose", "docker-run", "kubernetes"):
        return
    if deployment.kind == "kubernetes" and deployment.source_format:
        return  # an operator's resource (KServe, KubeAI ...): the operator may hand the token to the pod itself
    if deployment.env_from_unseen or any(v.endswith("(environment entries)") for v in deployment.runtime_values):
        return  # a ConfigMap / Secret outside the tree, or a template's env entries: any variable may come from them
    env = deployment.env
    offline = env.get("HF_HUB_OFFLINE")
    if offline is not None and (offline.value is None or offline.value.strip().lower() in ("1", "true", "yes", "on")):
        return
    for name in _TOKEN_VARIABLES:
        var = env.get(name)
        if var is not None and (var.value is None or var.value.strip() or var.from_secret):
            return  # set, or known only at run time
    home = env.get("HF_HOME")
    home = (home.value or "").rstrip("/") if home is not None else ""
    if any(_holds_token(v.target) or (home and (v.target or "").rstrip("/") in (home, home + "/token"))
           for v in deployment.volumes):
        return
    empty = [name for name in _TOKEN_VARIABLES if name in env]
    span = deployment.model_arg.value_or_flag_span if deployment.model_arg is not None else deployment.span
    said = f"{empty[0]} is empty" if empty else "the launch sets no HF_TOKEN"
    yield ctx.finding(span, f"{meta.model_id} is a gated repository ({meta.gated} approval on the Hub) and {said}: the "
                      "Hub answers 401 for its files and vLLM stops before loading anything",
                      hint=_HINTS.get(deployment.kind, _HINTS["compose"]))


def _holds_token(target: str) -> bool:
    path = (target or "").rstrip("/")
    return path.endswith(("/huggingface/token", "/hf_token", *_HOMES))
