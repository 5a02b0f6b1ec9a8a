"""VLL208 parser fit per model family: the families and tool-call formats of knowledge/vllm/parsers.yaml, told by
the model id and the model's chat template, never by model_type alone (the Qwen3-Coder false positive)."""
import json
import re
from pathlib import Path

import pytest
from conftest import lint

from vllm_lint.models.lock import tokenizer_info
from vllm_lint.models.meta import ModelMeta
from vllm_lint.vllm.support import families, parsers, tool_format_of, tool_formats

TOOLS = "--enable-auto-tool-choice --tool-call-parser"
# the tool-call sections of the chat templates, as the models' own templates and vLLM's examples write them
HERMES_TEMPLATE = ('{%- if tools %}For each function call return a json object with function name and arguments '
                   'within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, '
                   '"arguments": <args-json-object>}\n</tool_call>{%- endif %}')
CODER_TEMPLATE = ("{%- if tools %}<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\n"
                  "value_1\n</parameter>\n</function>\n</tool_call>{%- endif %}")
MISTRAL_TEMPLATE = "{% if message['role'] == 'assistant' and message['tool_calls'] %}{{ '[TOOL_CALLS]' }}{% endif %}"
PLAIN_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


def vll208(root, model, args, version="0.11.0", files=None):
    """The VLL208 findings of ``vllm serve MODEL ARGS`` in a script pinning vLLM ``version``."""
    script = {"run.sh": f"pip install vllm=={version}\nvllm serve {model} {args}\n"}
    return [f for f in lint(root, {**script, **(files or {})}, select=["VLL208"]).findings if f.code == "VLL208"]


def folder(name, model_type, template=None, jinja=None):
    """A local model folder ``models/NAME``: config.json, and a tokenizer_config.json with ``template`` (or a
    chat_template.jinja beside it)."""
    files = {f"models/{name}/config.json": json.dumps({"model_type": model_type, "architectures": ["X"]})}
    if template is not None or jinja is not None:
        tokenizer = {"tokenizer_class": "PreTrainedTokenizerFast", **({"chat_template": template} if template else {})}
        files[f"models/{name}/tokenizer_config.json"] = json.dumps(tokenizer)
    if jinja is not None:
        files[f"models/{name}/chat_template.jinja"] = jinja
    return files


# ---------------------------------------------------------------------------------------- the families


def test_qwen3_coder_is_not_taken_for_qwen3(tmp_path):
    """The false positive: Qwen3-Coder (model_type qwen3_moe, like Qwen3-30B-A3B) was told to use hermes."""
    coder = "Qwen/Qwen3-Coder-480B-A35B-Instruct"
    assert vll208(tmp_path / "a", coder, f"{TOOLS} qwen3_coder") == []
    assert vll208(tmp_path / "b", coder, f"{TOOLS} qwen3_xml") == []
    [bad] = vll208(tmp_path / "c", coder, f"{TOOLS} hermes")
    assert bad.message == (f"--tool-call-parser hermes on {coder}, a Qwen3-Coder model: its tool-call parser is "
                           "qwen3_xml (or qwen3_coder)")
    assert not bad.fix.safe and bad.fix.edits[0].replacement == "qwen3_xml"
    [old] = vll208(tmp_path / "d", coder, f"{TOOLS} hermes", version="0.10.2")  # qwen3_xml: from 0.11.0
    assert old.message.endswith("its tool-call parser is qwen3_coder")
    assert old.fix.edits[0].replacement == "qwen3_coder"
    assert vll208(tmp_path / "e", coder, f"{TOOLS} qwen3_coder", version="0.10.2") == []
    assert vll208(tmp_path / "f", coder, "--reasoning-parser qwen3") == []  # no reasoning parser is named for it


def test_qwen3_keeps_hermes_and_qwen3(tmp_path):
    [tool] = vll208(tmp_path / "a", "Qwen/Qwen3-30B-A3B", f"{TOOLS} qwen3_coder")
    assert tool.message.endswith("a Qwen3 model: its tool-call parser is hermes")
    [reasoning] = vll208(tmp_path / "b", "Qwen/Qwen3-8B", "--reasoning-parser deepseek_r1")
    assert reasoning.message.endswith("its reasoning parser is qwen3")
    assert vll208(tmp_path / "c", "Qwen/Qwen3-8B", f"--reasoning-parser qwen3 {TOOLS} hermes") == []
    assert vll208(tmp_path / "d", "Qwen/Qwen3-8B", f"{TOOLS} qwen3_json", version="0.33.0") == []  # hermes' class
    assert vll208(tmp_path / "e", "Qwen/Qwen3.5-27B", f"{TOOLS} hermes") == []  # Qwen3.5: not the Qwen3 family


def test_llama_3_1(tmp_path):
    for n, model in enumerate(("meta-llama/Meta-Llama-3.1-8B", "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8")):
        [bad] = vll208(tmp_path / f"bad{n}", model, f"{TOOLS} hermes")
        assert bad.message == (f"--tool-call-parser hermes on {model}, a Llama 3.1/3.2 model: its tool-call parser is "
                               "llama3_json")
        assert bad.fix.edits[0].replacement == "llama3_json"
        assert vll208(tmp_path / f"good{n}", model, f"{TOOLS} llama3_json") == []
    assert vll208(tmp_path / "alias", "meta-llama/Meta-Llama-3.1-8B", f"{TOOLS} llama4_json") == []  # the same class


@pytest.mark.parametrize("model", ["TheBloke/Llama-2-7B-AWQ", "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
                                   "mistralai/Mixtral-8x7B-v0.1", "deepseek-ai/DeepSeek-V3", "moonshotai/Kimi-K2.5"])
def test_models_whose_family_is_not_sure_are_not_judged(tmp_path, model):
    """model_type llama is Llama 2 as well as 3.1; a base Mixtral has no tool calls; DeepSeek-V3 and Kimi-K2.5 are
    not named by the docs: no recommendation."""
    assert vll208(tmp_path, model, f"--reasoning-parser deepseek_r1 {TOOLS} hermes") == []


def test_gpt_oss(tmp_path):
    model = "openai/gpt-oss-20b"
    [tool] = vll208(tmp_path / "a", model, f"{TOOLS} hermes")
    assert tool.message.endswith("a gpt-oss model: its tool-call parser is openai")
    [reasoning] = vll208(tmp_path / "b", model, "--reasoning-parser deepseek_r1")
    assert reasoning.message.endswith("its reasoning parser is openai_gptoss")
    assert vll208(tmp_path / "c", model, f"--reasoning-parser openai_gptoss {TOOLS} openai") == []


def test_mistral(tmp_path):
    name = "Mistral-7B-Instruct-v0.3"
    [bad] = vll208(tmp_path / "a", f"./models/{name}", f"{TOOLS} hermes", files=folder(name, "mistral"))
    assert bad.message.endswith("a Mistral model: its tool-call parser is mistral")
    assert vll208(tmp_path / "b", f"./models/{name}", f"{TOOLS} mistral", files=folder(name, "mistral")) == []
    # another Mistral model is told by its template's [TOOL_CALLS]; without the template it is not judged
    [by_template] = vll208(tmp_path / "c", "./models/small", f"{TOOLS} hermes",
                           files=folder("small", "mistral3", MISTRAL_TEMPLATE))
    assert by_template.message == ("--tool-call-parser hermes on ./models/small, whose chat template writes Mistral "
                                   "[TOOL_CALLS] tool calls: its tool-call parser is mistral")
    small = folder("small", "mistral3", MISTRAL_TEMPLATE)
    assert vll208(tmp_path / "d", "./models/small", f"{TOOLS} mistral", files=small) == []
    assert vll208(tmp_path / "e", "./models/small", f"{TOOLS} hermes", files=folder("small", "mistral3")) == []


# ---------------------------------------------------------------------------------------- the chat template first


def test_the_chat_template_tells_qwen3_coder_from_qwen3(tmp_path):
    """A folder whose name says nothing: its template's <function= says Qwen3-Coder XML, <tool_call> JSON hermes."""
    coder = folder("team-model", "qwen3_moe", CODER_TEMPLATE)
    [bad] = vll208(tmp_path / "a", "./models/team-model", f"{TOOLS} hermes", files=coder)
    assert bad.message == ("--tool-call-parser hermes on ./models/team-model, whose chat template writes Qwen3-Coder "
                           "XML (<tool_call><function=...>) tool calls: its tool-call parser is qwen3_xml "
                           "(or qwen3_coder)")
    assert vll208(tmp_path / "b", "./models/team-model", f"{TOOLS} qwen3_coder", files=coder) == []
    hermes = folder("team-model", "qwen3_moe", jinja=HERMES_TEMPLATE)  # transformers >= 4.50: chat_template.jinja
    [json_calls] = vll208(tmp_path / "c", "./models/team-model", f"{TOOLS} qwen3_xml", files=hermes)
    assert json_calls.message.endswith("Hermes-style <tool_call> JSON tool calls: its tool-call parser is hermes")
    plain = folder("team-model", "qwen3_moe", PLAIN_TEMPLATE)  # a template without tool calls says nothing
    assert vll208(tmp_path / "d", "./models/team-model", f"{TOOLS} hermes", files=plain) == []


def test_a_template_that_disagrees_with_the_name_wins_and_the_family_is_unsure(tmp_path):
    """A Qwen3 name with a Qwen3-Coder template: the template says what the model writes (qwen3_xml); the family,
    and so its reasoning parser, is not sure."""
    renamed = folder("Qwen3-30B-A3B-team", "qwen3_moe", CODER_TEMPLATE)
    [tool] = vll208(tmp_path / "a", "./models/Qwen3-30B-A3B-team", f"--reasoning-parser deepseek_r1 {TOOLS} hermes",
                    files=renamed)
    assert tool.message.endswith("whose chat template writes Qwen3-Coder XML (<tool_call><function=...>) tool calls: "
                                 "its tool-call parser is qwen3_xml (or qwen3_coder)")
    agreeing = folder("Qwen3-30B-A3B-team", "qwen3_moe", HERMES_TEMPLATE)
    found = vll208(tmp_path / "b", "./models/Qwen3-30B-A3B-team", f"--reasoning-parser deepseek_r1 {TOOLS} qwen3_xml",
                   files=agreeing)
    assert [f.message.rsplit(": ", 1)[1] for f in found] == ["its reasoning parser is qwen3",
                                                             "its tool-call parser is hermes"]


def test_a_chat_template_flag_replaces_the_models_template(tmp_path):
    llama = "meta-llama/Meta-Llama-3.1-8B"
    # one of vLLM's example templates, by its file name: its format is known
    examples = "/vllm-workspace/examples"
    json_template = f"--chat-template {examples}/tool_chat_template_llama3.1_json.jinja"
    [bad] = vll208(tmp_path / "a", llama, f"{TOOLS} hermes {json_template}")
    assert bad.message.endswith("a Llama 3.1/3.2 model: its tool-call parser is llama3_json")
    # the pythonic template for Llama 3.2 (docs, "Models with Pythonic Tool Calls"): not the family's format, not judged
    pythonic = f"{TOOLS} pythonic --chat-template {examples}/tool_chat_template_llama3.2_pythonic.jinja"
    assert vll208(tmp_path / "b", llama, pythonic) == []
    # a template that is not in the tree: its format is not known
    assert vll208(tmp_path / "c", llama, f"{TOOLS} hermes --chat-template /templates/tools.jinja") == []
    # a template file of the tree, on a model whose name says nothing
    files = {**folder("team-model", "llama"), "templates/tools.jinja": HERMES_TEMPLATE}
    [by_file] = vll208(tmp_path / "d", "./models/team-model",
                       f"{TOOLS} mistral --chat-template ./templates/tools.jinja", files=files)
    assert by_file.message == ("--tool-call-parser mistral on ./models/team-model, with the chat template "
                               "./templates/tools.jinja (Hermes-style <tool_call> JSON tool calls): its tool-call "
                               "parser is hermes")
    assert vll208(tmp_path / "e", "./models/team-model", f"{TOOLS} hermes --chat-template ./templates/tools.jinja",
                  files=files) == []


def test_a_parser_from_a_variable_is_not_judged(tmp_path):
    assert vll208(tmp_path, "Qwen/Qwen3-Coder-480B-A35B-Instruct", f"{TOOLS} $TOOL_PARSER") == []


# ---------------------------------------------------------------------------------------- the other documented families


@pytest.mark.parametrize("name, model_type, version, wrong, right, alternatives", [
    ("Hermes-3-Llama-3.1-8B", "llama", "0.11.0", "llama3_json", "hermes", []),
    ("Qwen2.5-7B-Instruct", "qwen2", "0.11.0", "llama3_json", "hermes", []),
    ("QwQ-32B", "qwen2", "0.11.0", "mistral", "hermes", []),
    ("Llama-4-Scout-17B-16E-Instruct", "llama4", "0.11.0", "hermes", "llama4_pythonic", ["llama3_json", "pythonic"]),
    ("granite-3.1-8b-instruct", "granite", "0.11.0", "hermes", "granite", []),
    ("granite-4.0-h-small", "granitemoehybrid", "0.11.0", "granite", "hermes", []),
    ("granite-4.0-h-small", "granitemoehybrid", "0.33.0", "granite", "granite4", ["hermes"]),
    ("granite-20b-functioncalling", "gpt_bigcode", "0.11.0", "granite", "granite-20b-fc", []),
    ("internlm2_5-7b-chat", "internlm2", "0.11.0", "hermes", "internlm", []),
    ("AI21-Jamba-1.5-Mini", "jamba", "0.11.0", "hermes", "jamba", []),
    ("Llama-xLAM-2-8B-fc-r", "llama", "0.11.0", "llama3_json", "xlam", []),
    ("DeepSeek-V3-0324", "deepseek_v3", "0.11.0", "hermes", "deepseek_v3", []),
    ("DeepSeek-R1-0528", "deepseek_v3", "0.11.0", "hermes", "deepseek_v3", []),
    ("Hunyuan-A13B-Instruct", "hunyuan_v1_moe", "0.11.0", "hermes", "hunyuan_a13b", []),
    ("command-a-reasoning-08-2025", "cohere2", "0.33.0", "hermes", "cohere_command3", []),
    ("LongCat-Flash-Chat", "longcat_flash", "0.11.0", "hermes", "longcat", []),
    ("GLM-4.5-Air", "glm4_moe", "0.11.0", "hermes", "glm45", []),
    ("GLM-4.5-Air", "glm4_moe", "0.10.0", "hermes", "glm4_moe", []),
    ("GLM-4.6", "glm4_moe", "0.11.0", "hermes", "glm45", []),
    ("GLM-4.7-Flash", "glm4_moe_lite", "0.33.0", "hermes", "glm47", []),
    ("Olmo-3-7B-Instruct", "olmo3", "0.33.0", "hermes", "olmo3", []),
    ("GigaChat3-10B-A1.8B", "deepseek_v3", "0.33.0", "hermes", "gigachat3", []),
    ("Apertus-8B-Instruct-2509", "apertus", "0.33.0", "hermes", "apertus", []),
    ("functiongemma-270m-it", "gemma3_text", "0.33.0", "hermes", "functiongemma", []),
])
def test_documented_tool_call_parsers(tmp_path, name, model_type, version, wrong, right, alternatives):
    files = folder(name, model_type)
    [bad] = vll208(tmp_path / "bad", f"./models/{name}", f"{TOOLS} {wrong}", version=version, files=files)
    assert bad.message.split(": its tool-call parser is ")[1].split(" (or ")[0] == right
    assert bad.fix.edits[0].replacement == right
    for n, good in enumerate([right, *alternatives]):
        assert vll208(tmp_path / f"good{n}", f"./models/{name}", f"{TOOLS} {good}", version=version, files=files) == []


@pytest.mark.parametrize("model, files, version, wrong, right", [
    ("deepseek-ai/DeepSeek-R1", None, "0.11.0", "qwen3", "deepseek_r1"),
    ("./models/DeepSeek-R1-Distill-Qwen-1.5B", folder("DeepSeek-R1-Distill-Qwen-1.5B", "qwen2"), "0.11.0", "qwen3",
     "deepseek_r1"),
    ("./models/QwQ-32B", folder("QwQ-32B", "qwen2"), "0.11.0", "qwen3", "deepseek_r1"),
    ("nvidia/DeepSeek-V3.1-NVFP4", None, "0.19.1", "deepseek_r1", "deepseek_v3"),
    ("./models/granite-3.2-8b-instruct", folder("granite-3.2-8b-instruct", "granite"), "0.11.0", "deepseek_r1",
     "granite"),
    ("./models/GLM-4.5", folder("GLM-4.5", "glm4_moe"), "0.11.0", "qwen3", "glm45"),
    ("./models/Hunyuan-A13B-Instruct", folder("Hunyuan-A13B-Instruct", "hunyuan_v1_moe"), "0.11.0", "qwen3",
     "hunyuan_a13b"),
])
def test_documented_reasoning_parsers(tmp_path, model, files, version, wrong, right):
    [bad] = vll208(tmp_path / "bad", model, f"--reasoning-parser {wrong}", version=version, files=files)
    assert bad.message.endswith(f"its reasoning parser is {right}")
    assert vll208(tmp_path / "good", model, f"--reasoning-parser {right}", version=version, files=files) == []


def test_parsers_a_release_does_not_have_are_not_recommended(tmp_path):
    # DeepSeek-V3.1's deepseek_v3 reasoning parser is registered from 0.11.2: 0.11.0 is not judged
    assert vll208(tmp_path / "a", "nvidia/DeepSeek-V3.1-NVFP4", "--reasoning-parser deepseek_r1") == []
    [tool] = vll208(tmp_path / "b", "nvidia/DeepSeek-V3.1-NVFP4", f"{TOOLS} hermes")
    assert tool.message.endswith("a DeepSeek-V3.1 model: its tool-call parser is deepseek_v31")
    assert vll208(tmp_path / "c", "deepseek-ai/DeepSeek-R1", f"{TOOLS} hermes") == []  # R1: tools not documented
    [kimi] = vll208(tmp_path / "d", "moonshotai/Kimi-K2-Instruct", f"{TOOLS} hermes")
    assert kimi.message.endswith("a Kimi-K2 model: its tool-call parser is kimi_k2")
    assert vll208(tmp_path / "e", "moonshotai/Kimi-K2-Instruct", f"{TOOLS} kimi_k2") == []


# ---------------------------------------------------------------------------------------- the metadata and the data


def test_the_tool_format_is_read_from_the_template_and_locked(tmp_path):
    from click.testing import CliRunner

    from vllm_lint.cli import main
    from vllm_lint.models.lock import LOCK_DIR, LOCK_NAME, ModelsLock

    meta = ModelMeta("m", None, "local", {"model_type": "qwen3_moe"})
    for n, (files, fmt) in enumerate([(folder("m", "qwen3_moe", CODER_TEMPLATE), "qwen3_xml"),
                                      (folder("m", "qwen3_moe", jinja=HERMES_TEMPLATE), "hermes"),
                                      (folder("m", "qwen3_moe", PLAIN_TEMPLATE), None)]):
        for path, text in files.items():
            (tmp_path / str(n) / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / str(n) / path).write_text(text)
        info = tokenizer_info(meta, tmp_path / str(n) / "models" / "m")
        assert info["chat_template"] is True and info.get("tool_format") == fmt
    repo = tmp_path / "repo"
    vll208(repo, "./models/team-model", f"{TOOLS} qwen3_xml", files=folder("team-model", "qwen3_moe", CODER_TEMPLATE))
    assert CliRunner().invoke(main, ["models", "lock", str(repo), "--offline"]).exit_code == 0
    lock = ModelsLock.load(repo / LOCK_DIR / LOCK_NAME)  # the schema takes the new field
    [entry] = lock.entries.values()
    assert entry["tokenizer"]["tool_format"] == "qwen3_xml"
    (repo / "run.sh").write_text("pip install vllm==0.11.0\nvllm serve ./models/team-model --enable-auto-tool-choice "
                                 "--tool-call-parser hermes\n")
    import shutil

    shutil.rmtree(repo / "models")  # the folder lives on the serving host only: the lock says what its template writes
    [bad] = vll208(repo, "./models/team-model", f"{TOOLS} hermes")
    assert bad.message.endswith("its tool-call parser is qwen3_xml (or qwen3_coder)")


def test_a_lock_written_before_tool_format_is_still_read(tmp_path):
    from vllm_lint.models.lock import ModelsLock, schema
    from vllm_lint.schema_check import validate

    entry = {"model": "org/m", "revision": None, "commit": None, "source": "hub", "origin": "hub",
             "locked_at": "2025-01-01T00:00:00Z", "config_sha256": "0" * 64, "config": {"model_type": "qwen3"},
             "quant_files": {}, "preprocessor": None,
             "tokenizer": {"chat_template": True, "from": "tokenizer_config.json", "tokenizer_class": None},
             "gated": None, "weights": None, "files": None, "used_by": []}
    data = {"lock_version": 1, "generated": "2025-01-01T00:00:00Z", "generator": "vllm-lint 0",
            "models": {"org/m": entry}}
    assert validate(schema(), data) == []
    path = tmp_path / "models.lock"
    path.write_text(json.dumps(data))
    assert ModelsLock.load(path).meta(entry).tool_format is None


def test_markers_of_the_formats():
    assert tool_format_of(HERMES_TEMPLATE) == "hermes"
    assert tool_format_of(CODER_TEMPLATE) == "qwen3_xml"
    # a Qwen3-Coder template that also names "arguments" (of a previous call) is still not hermes: <function= says XML
    assert tool_format_of(CODER_TEMPLATE + '{%- set a = tool_call["arguments"] %}') == "qwen3_xml"
    assert tool_format_of(MISTRAL_TEMPLATE) == "mistral"
    assert tool_format_of(PLAIN_TEMPLATE) is None
    assert tool_format_of(HERMES_TEMPLATE + MISTRAL_TEMPLATE) is None  # two formats: not sure
    llama = 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.'
    assert tool_format_of("<|start_header_id|>" + llama) == "llama3_json"
    assert tool_format_of("<|start|>assistant<|channel|>analysis<|message|>") == "harmony"


def test_every_recommended_parser_is_in_the_release_tables_with_its_range():
    """Each family's and format's parser exists, with the since/until of the tables (a recommendation the tables do
    not know would never be made, or made for releases without it)."""
    seen = 0
    for kind, key in (("tool-call", "tool_call_parsers"), ("reasoning", "reasoning_parsers")):
        table = parsers(kind)
        for where in (families(), tool_formats()):
            for name, entry in where.items():
                for parser in entry.get(key, ()):
                    seen += 1
                    known = table[parser["name"]]
                    assert (parser["since"], parser.get("until")) == (str(known["since"]), known.get("until")), \
                        (name, parser)
    assert seen > 40
    for name, family in families().items():
        assert set(family.get("tool_formats", ())) <= set(tool_formats()), name
        for pattern in family["model_ids"]:
            re.compile(pattern)


def test_each_documented_model_matches_one_family():
    """The models the docs name, and their neighbours, each match one family (two would make it unsure) or none."""
    expected = {
        "Qwen/Qwen3-8B": "qwen3", "Qwen/Qwen3-VL-32B-Instruct-FP8": "qwen3",
        "Qwen/Qwen3-Coder-30B-A3B-Instruct": "qwen3-coder",
        "Qwen/Qwen2.5-7B-Instruct": "qwen2.5", "Qwen/QwQ-32B": "qwq", "NousResearch/Hermes-2-Pro-Llama-3-8B": "hermes",
        "NousResearch/Hermes-3-Llama-3.1-8B": "hermes", "meta-llama/Llama-3.2-3B-Instruct": "llama3",
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "llama4", "openai/gpt-oss-120b": "gpt-oss",
        "deepseek-ai/DeepSeek-R1-0528": "deepseek-r1-0528", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B": "deepseek-r1",
        "deepseek-ai/DeepSeek-V3.1": "deepseek-v3.1", "Salesforce/xLAM-1B-fc-r": "xlam",
        "Salesforce/Qwen-xLAM-32B-fc-r": "xlam", "ibm-granite/granite-3.0-8b-instruct": "granite-3.0-3.1",
        "zai-org/GLM-4.5": "glm-4.5", "zai-org/GLM-4.7": "glm-4.7",
        "meta-llama/Llama-2-7b-chat-hf": None, "meta-llama/Meta-Llama-3-8B-Instruct": None, "Qwen/Qwen3.5-27B": None,
        "nvidia/Llama-3.1-Nemotron-Nano-8B-v1": None, "Qwen/Qwen2.5-VL-7B-Instruct": None, "zai-org/GLM-4.5V": None,
        "deepseek-ai/DeepSeek-V3.1-Terminus": None, "mistralai/Mixtral-8x7B-v0.1": None,
    }
    for model, family in expected.items():
        found = [name for name, entry in families().items() if any(re.search(p, model) for p in entry["model_ids"])]
        assert found == ([family] if family else []), model


def test_the_tool_format_of_a_hub_model(tmp_path, monkeypatch):
    """From the Hub (a local stand-in): tokenizer_config.json and the chat_template.jinja beside it are read."""
    import shutil

    from hubserver import FIXTURES, serve_for_the_client

    from vllm_lint.models.request import ModelRequest
    from vllm_lint.models.resolve import resolve

    root = tmp_path / "hub"
    shutil.copytree(FIXTURES, root)
    repo = root / "acme" / "coder-team"
    repo.mkdir(parents=True)
    (repo / "config.json").write_text(json.dumps({"model_type": "qwen3_moe", "architectures": ["Qwen3MoeForCausalLM"]}))
    (repo / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "Qwen2Tokenizer"}))
    (repo / "chat_template.jinja").write_text(CODER_TEMPLATE)
    server = serve_for_the_client(root, tmp_path, monkeypatch)
    try:
        meta = resolve([ModelRequest("acme/coder-team")], use_snapshot=False)[ModelRequest("acme/coder-team")]
    finally:
        server.stop()
    assert meta.source == "hub" and meta.tokenizer == {"chat_template": True, "from": "chat_template.jinja",
                                                       "tokenizer_class": "Qwen2Tokenizer", "tool_format": "qwen3_xml"}


def test_regenerating_the_parser_tables_keeps_the_hand_kept_part(tmp_path):
    # knowledge/tools/build_vllm_registry.py rewrites the generated tables of parsers.yaml and appends, verbatim,
    # everything from KEPT_FROM on: tool_formats and families, comments included
    import importlib.util

    tools = Path(__file__).resolve().parents[1] / "knowledge" / "tools"
    spec = importlib.util.spec_from_file_location("build_vllm_registry", tools / "build_vllm_registry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (tools.parent / "vllm" / "parsers.yaml").read_text(encoding="utf-8")
    kept = module.kept_part(tools.parent / "vllm" / "parsers.yaml")
    assert kept.startswith(module.KEPT_FROM) and shipped.endswith(kept)
    assert "\ntool_formats:" in kept and "\nfamilies:" in kept and "\ntool_call_parsers:" not in kept
    assert module.kept_part(tmp_path / "absent.yaml") == ""
