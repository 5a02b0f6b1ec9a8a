"""Stage 2, loaders: one module per source format, each turning a file into launches.

In: source files and the :class:`~vllm_lint.loaders.context.LoadContext` of the run. Out:
:class:`~vllm_lint.launch.deployment.Deployment` records (one per vLLM launch), plus the problems met while
loading. :mod:`.command` is what every format shares: from a command's words to the launch's arguments.

Renderers run for real where installed: :mod:`.kustomize` (``kubectl kustomize``) and :mod:`.helm` (``helm
template``), their values mapped back to the files that wrote them. :mod:`.envsubst` lets :mod:`.kubernetes` read
templates filled in before ``kubectl apply`` with their variables unknown. Servers that start vLLM with options
they build are read where their command appears: :mod:`.paddlex` (PaddleX's genai server, vLLM backend) and
:mod:`.runpod_worker` (RunPod's worker image, options from the environment).
"""
