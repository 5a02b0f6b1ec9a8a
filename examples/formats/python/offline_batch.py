"""Batch generation with vLLM in-process: vllm-lint reads the LLM(...) call, it does not run this file."""
from vllm import LLM, SamplingParams

llm = LLM(model="Qwen/Qwen3-8B", tensor_parallel_size=1, max_model_len=8192, gpu_memory_utilization=0.9)
outputs = llm.generate(["Hello"], SamplingParams(max_tokens=16))
