"""Every knowledge file validates against its schema."""
import json

import pytest
import yaml
from conftest import REPO

KNOWLEDGE = REPO / "knowledge"
PAIRS = [("gpus.yaml", "gpus.schema.json"), ("vllm/architectures.yaml", "vllm_architectures.schema.json"),
         ("vllm/quantization.yaml", "vllm_quantization.schema.json"),
         ("vllm/parsers.yaml", "vllm_parsers.schema.json")]


@pytest.mark.parametrize("data, schema", PAIRS)
def test_validates(data, schema):
    import jsonschema

    jsonschema.validate(yaml.safe_load((KNOWLEDGE / data).read_text()), json.loads((KNOWLEDGE / "schemas" / schema).read_text()))


def test_architectures_read_from_the_registries():
    table = yaml.safe_load((KNOWLEDGE / "vllm" / "architectures.yaml").read_text())["architectures"]
    assert table["Qwen3VLForConditionalGeneration"]["since"] == "0.11.0"  # seed 002: not in 0.6.4.post1
    assert table["Qwen3ForCausalLM"]["since"] == "0.8.5.post1"
    assert table["LlamaForCausalLM"] == {"since": "0.6.0", "kind": "generation"}
