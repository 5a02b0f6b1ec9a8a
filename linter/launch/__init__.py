"""Stage 3, the launch: one vLLM start-up, normalized whatever file it came from.

In: a loader's words, environment, GPUs, ports and volumes. Out: a
:class:`~vllm_lint.launch.deployment.Deployment` with its arguments parsed as vLLM's parser does (:mod:`.args`),
the server it really starts (:mod:`.launcher`) and the GPUs it gets (:mod:`.placement`). Rules read this.
"""
