"""Rules that read the model id but need no metadata."""
from conftest import codes, lint


def compose(model: str, served: str) -> dict:
    return {"compose.yaml": f"""
        services:
          vllm:
            image: vllm/vllm-openai:v0.11.0
            command: ["--model={model}", "--served-model-name", "{served}"]
        """}


def test_served_model_name_of_another_family_and_size_fires(tmp_path):
    """Seed 004: Qwen/Qwen2-1.5B-Instruct-AWQ served as qwen3-1.7b-awq."""
    result = lint(tmp_path, compose("Qwen/Qwen2-1.5B-Instruct-AWQ", "qwen3-1.7b-awq"), select=["VLL309"])
    assert codes(result) == ["VLL309"]
    message = result.findings[0].message
    assert "family qwen3 vs qwen2" in message and "size 1.7B vs 1.5B" in message
    assert (result.findings[0].span.line, result.findings[0].span.column) == (4, 79)


def test_served_model_name_that_matches_is_quiet(tmp_path):
    for model, served in [("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b"), ("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b"),
                          ("cpatonn/Qwen3-VL-32B-Thinking-AWQ-4bit", "medium-vl")]:
        assert codes(lint(tmp_path, compose(model, served), select=["VLL309"])) == [], (model, served)
