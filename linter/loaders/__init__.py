"""Stage 2, loaders: one module per source format, each turning a file into launches.

In: source files and the :class:`~vllm_lint.loaders.context.LoadContext` of the run. Out:
:class:`~vllm_lint.launch.deployment.Deployment` records (one per vLLM launch), plus the problems met while
loading. :mod:`.command` is what every format shares: from a command's words to the launch's arguments.
"""
