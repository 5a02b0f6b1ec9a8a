"""vllm-lint: lint vLLM deployments before they start."""
__version__ = "0.1.0"
