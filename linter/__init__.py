"""vllm-lint: lint vLLM deployments before they start."""
__version__ = "0.1.0"
#: The project's home: SARIF ``informationUri``, rdjson ``source.url`` and the rule documentation links.
REPOSITORY_URL = "https://github.com/vllm-lint/vllm-lint"
