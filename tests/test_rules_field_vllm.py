"""Rules from vLLM's own start-up checks and tracker (issue 20): bfloat16 below compute capability 8.0, custom code
without --trust-remote-code, max-num-batched-tokens with chunked prefill off, no chat template, gated models without
a token, expert-parallel divisibility. Each: fires on the bad launch, quiet on the good variants.

Model metadata comes from the bundled snapshot (offline) or from tests/hubserver.py serving team models built here
from the real fixture configs of tests/fixtures/hf — never the network."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import REPO, codes, lint
from hubserver import FIXTURES, serve_for_the_client

from vllm_lint.config import Settings
from vllm_lint.vllm.startup_checks import chat_template_fallbacks, data, fact, float16_refusal, holds, source_in

QWEN3_8B = "Qwen/Qwen3-8B"  # bf16, Qwen3ForCausalLM (native from 0.8.5.post1), 40960 tokens
AWQ = "TheBloke/Llama-2-7B-AWQ"  # float16
MOE = "Qwen/Qwen3-30B-A3B"  # 128 experts
CHAT = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


def compose(image: str, args: list[str], extra: str = "") -> dict:
    quoted = ", ".join(json.dumps(a) for a in args)
    return {"compose.yaml": f"""
services:
  llm:
    image: vllm/vllm-openai:{image}
    command: [{quoted}]
{extra}"""}


def run(tmp_path, image, args, select, hardware=None, extra="", offline=True, files=None):
    settings = Settings(root=tmp_path, offline=offline, hardware=hardware)
    return lint(tmp_path, {**compose(image, args, extra), **(files or {})}, select=select, settings=settings)


# ---------------------------------------------------------------------------------------- knowledge


def test_startup_checks_follow_their_schema_and_name_their_sources():
    import jsonschema

    table = yaml.safe_load((REPO / "knowledge/vllm/startup_checks.yaml").read_text())
    schema = json.loads((REPO / "knowledge/schemas/vllm_startup_checks.schema.json").read_text())
    jsonschema.validate(table, schema)
    assert table["read"] == sorted(table["read"], key=lambda v: [int(p) if p.isdigit() else p for p in
                                                                  v.replace(".post", ".").split(".")])


def test_fact_ranges_and_sources():
    assert fact(data()["bfloat16"]["auto_kept"], "0.8.5.post1") is not None
    assert fact(data()["bfloat16"]["auto_kept"], "0.9.0") is None
    assert fact(data()["chunked_prefill"]["generate"], "0.11.0")["behaviour"] == "forced-on"
    assert fact(data()["chunked_prefill"]["generate"], "0.11.1") is None  # not read: not judged
    assert fact(data()["chunked_prefill"]["generate"], "0.19.1")["behaviour"] == "respected"
    assert float16_refusal("gemma2", "0.11.0") and float16_refusal("plamo2", "0.33.0") is None
    assert float16_refusal("qwen3", "0.11.0") is None and float16_refusal("gemma2", "0.9.0") is None
    assert not holds({"since": "0.9.2"}, "not-a-version")
    s = "vllm/a.py:1 (0.6.0), :2 (0.8.0); vllm/b.py:3 (0.11.0)"
    assert source_in(s, "0.8.0") == "vllm/a.py:2 in 0.8.0" and source_in(s, "0.12.0") == "vllm/b.py:3 in 0.11.0"
    types, exact = chat_template_fallbacks("0.11.0")
    assert exact and "qwen" in types and "qwen3" not in types
    assert chat_template_fallbacks("0.12.0")[1] is False


# ---------------------------------------------------------------------------------------- VLL311 dtype-unsupported


def test_plain_bfloat16_on_a_t4_is_the_advisorys(tmp_path):
    """--dtype bfloat16 below 8.0 on a model that takes float16: advisory VLLA-2026-0024 (VLL501) reports it, VLL311
    does not report it again."""
    args = ["--model", QWEN3_8B, "--dtype", "bfloat16"]
    result = run(tmp_path, "v0.11.0", args, ["VLL311", "VLL501"], hardware="t4")
    assert codes(result) == ["VLL501"] and "VLLA-2026-0024" in result.findings[0].message


def test_bfloat16_good_variants_stay_quiet(tmp_path):
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B, "--dtype", "half"], ["VLL311"], hardware="t4")) == []
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B, "--dtype", "bfloat16"], ["VLL311"], hardware="a10g")) == []
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B, "--dtype", "bfloat16"], ["VLL311"])) == []  # GPU unknown
    assert codes(run(tmp_path, "v0.11.0", ["--model", AWQ], ["VLL311"], hardware="t4")) == []  # float16 checkpoint


def test_auto_on_a_bfloat16_checkpoint_depends_on_the_release(tmp_path):
    [f] = run(tmp_path, "v0.8.5.post1", ["--model", QWEN3_8B], ["VLL311"], hardware="t4").findings
    assert f.severity == "error" and "--dtype auto keeps it" in f.message and f.hint == "--dtype half"
    assert "Bfloat16 is only supported on GPUs with compute capability of at least 8.0" in f.message
    assert "compute capability 7.5" in f.message and "vllm/worker/worker.py:547 in 0.8.5.post1" in f.message  # V0 runs below 8.0
    assert f.fix is not None and not f.fix.safe and [e.replacement for e in f.fix.edits] == [', "--dtype", "half"']
    [f] = run(tmp_path, "v0.8.5.post1", ["--model", QWEN3_8B, "--dtype", "auto"], ["VLL311"], hardware="v100-32gb").findings
    assert [e.replacement for e in f.fix.edits] == ["half"]
    [f] = run(tmp_path, "v0.11.0", ["--model", QWEN3_8B], ["VLL311"], hardware="t4").findings
    assert f.severity == "info" and "falls back to float16" in f.message


def _team_hub(tmp_path, monkeypatch, models: dict[str, dict]):
    """A local Hub serving the fixtures and team models: name -> {file: JSON}."""
    root = tmp_path / "hub"
    shutil.copytree(FIXTURES, root)
    for name, files in models.items():
        folder = root / name
        folder.mkdir(parents=True)
        for file, content in files.items():
            (folder / file).write_text(json.dumps(content))
    server = serve_for_the_client(root, tmp_path, monkeypatch)
    return server


def _config(model: str, **changes) -> dict:
    config = json.loads((FIXTURES / model / "config.json").read_text())
    config.update(changes)
    return config


@pytest.fixture
def gemma_hub(tmp_path, monkeypatch):
    """A team fine-tune whose config says Gemma 2 (model_type gemma2, bfloat16)."""
    config = _config(QWEN3_8B, architectures=["Gemma2ForCausalLM"], model_type="gemma2")
    server = _team_hub(tmp_path, monkeypatch, {"acme/gemma2-support": {"config.json": config}})
    yield server
    server.stop()


def test_float16_on_a_model_type_that_refuses_it(tmp_path, gemma_hub):
    model = "acme/gemma2-support"
    [f] = run(tmp_path / "a", "v0.11.0", ["--model", model, "--dtype", "half"], ["VLL311"], offline=False).findings
    assert f.severity == "error" and "The model type 'gemma2' does not support float16" in f.message
    # bfloat16 on a T4: half is no way out, say float32
    [f] = run(tmp_path / "b", "v0.11.0", ["--model", model, "--dtype", "bfloat16"], ["VLL311"], hardware="t4",
              offline=False).findings
    assert f.hint.startswith("--dtype float32") and f.fix is None
    # auto on a T4: vLLM falls back to float32 (twice the memory)
    [f] = run(tmp_path / "c", "v0.11.0", ["--model", model], ["VLL311"], hardware="t4", offline=False).findings
    assert f.severity == "warning" and "float32" in f.message
    # good variants: bfloat16 on Ampere, float32 on a T4
    assert codes(run(tmp_path / "d", "v0.11.0", ["--model", model, "--dtype", "bfloat16"], ["VLL311"], hardware="a10g",
                     offline=False)) == []
    assert codes(run(tmp_path / "e", "v0.11.0", ["--model", model, "--dtype", "float32"], ["VLL311"], hardware="t4",
                     offline=False)) == []


# ---------------------------------------------------------------------------------------- VLL310 custom code


@pytest.fixture
def custom_hub(tmp_path, monkeypatch):
    """A repository with its own modelling code (auto_map) for an architecture no release serves."""
    config = _config(QWEN3_8B, architectures=["AcmeSupportForCausalLM"], model_type="acme_support",
                     auto_map={"AutoConfig": "configuration_acme.AcmeConfig",
                               "AutoModelForCausalLM": "modeling_acme.AcmeSupportForCausalLM"})
    native = _config(QWEN3_8B, auto_map={"AutoConfig": "configuration_qwen3.Qwen3Config"})
    model_only = _config(QWEN3_8B, architectures=["AcmeSupportForCausalLM"],
                         auto_map={"AutoModelForCausalLM": "modeling_acme.AcmeSupportForCausalLM"})
    server = _team_hub(tmp_path, monkeypatch, {"acme/custom-arch": {"config.json": config, "modeling_acme.py": {}},
                                               "acme/native-arch": {"config.json": native},
                                               "acme/model-code-only": {"config.json": model_only}})
    yield server
    server.stop()


def test_custom_code_without_trust_remote_code(tmp_path, custom_hub):
    [f] = run(tmp_path / "a", "v0.11.0", ["--model", "acme/custom-arch"], ["VLL310"], offline=False).findings
    assert f.severity == "error" and "Failed to load the model config" in f.message
    assert "AcmeSupportForCausalLM" in f.message and "--trust-remote-code" in f.hint
    # with the flag and a pinned revision: quiet; with the flag unpinned: the existing warning
    pinned = ["--model", "acme/custom-arch", "--trust-remote-code", "--revision", "a" * 40]
    assert codes(run(tmp_path / "b", "v0.11.0", pinned, ["VLL310"], offline=False)) == []
    [f] = run(tmp_path / "c", "v0.11.0", ["--model", "acme/custom-arch", "--trust-remote-code"], ["VLL310"],
              offline=False).findings
    assert f.severity == "warning" and "pin --revision" in f.hint
    # auto_map on an architecture the release serves itself: vLLM uses its own code, no flag needed
    assert codes(run(tmp_path / "d", "v0.11.0", ["--model", "acme/native-arch"], ["VLL310"], offline=False)) == []
    # model code without configuration code: the config loads; the unknown architecture is VLL305's to report
    assert codes(run(tmp_path / "e", "v0.11.0", ["--model", "acme/model-code-only"], ["VLL310"], offline=False)) == []


# ---------------------------------------------------------------------------------------- VLL312 gated-model-token

GATED = "acme/llama-support-gated"


@pytest.fixture
def gated_hub(tmp_path, monkeypatch):
    """A gated team model that this host's token may read (the API says gated; files need the token)."""
    server = _team_hub(tmp_path, monkeypatch, {GATED: {"config.json": _config("meta-llama/Meta-Llama-3.1-8B")}})
    server.set_mode(GATED, "gated-granted")
    monkeypatch.setenv("HF_TOKEN", "hf_" + "HostTokenForTheLinterOnly0123")
    yield server
    server.stop()


def test_gated_model_without_a_token_in_the_deployment(tmp_path, gated_hub):
    [f] = run(tmp_path / "a", "v0.11.0", ["--model", GATED], ["VLL312"], offline=False).findings
    assert f.code == "VLL312" and "gated repository (manual approval" in f.message and "HF_TOKEN" in f.message
    assert any(r.authorization for r in gated_hub.requests_for(GATED))  # the linter read it with its own token
    shutil.rmtree(tmp_path / "hf-cache")  # the HF cache keeps files, not the Hub's gated flag: read from the Hub again
    empty = "    environment:\n      HF_TOKEN: \"\"\n"
    [f] = run(tmp_path / "b", "v0.11.0", ["--model", GATED], ["VLL312"], extra=empty, offline=False).findings
    assert "HF_TOKEN is empty" in f.message


@pytest.mark.parametrize("extra", [
    "    environment:\n      - HF_TOKEN\n",  # passed through from the host
    "    environment:\n      HF_TOKEN: ${HF_TOKEN}\n",
    "    environment:\n      HUGGING_FACE_HUB_TOKEN: ${HF_TOKEN}\n",
    "    environment:\n      HF_TOKEN_PATH: /run/secrets/hf_token\n",
    "    volumes:\n      - ~/.cache/huggingface:/root/.cache/huggingface\n",
    "    environment:\n      HF_HUB_OFFLINE: \"1\"\n",
])
def test_gated_model_with_a_token_stays_quiet(tmp_path, gated_hub, extra):
    assert codes(run(tmp_path, "v0.11.0", ["--model", GATED], ["VLL312"], extra=extra, offline=False)) == []


def test_open_model_needs_no_token(tmp_path, gated_hub):
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B], ["VLL312"], offline=False)) == []


def kube(model: str, container_extra: str = "", extra_docs: str = "") -> dict:
    return {"deploy/vllm.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.11.0
          args: ["--model", "{model}"]
          resources:
            limits:
              nvidia.com/gpu: 1
{container_extra}{extra_docs}"""}


HF_HOME_ENV = "          env:\n            - {name: HF_HOME, value: /data/hf}\n"


def test_gated_model_in_kubernetes_without_a_token(tmp_path, gated_hub):
    result = lint(tmp_path / "a", kube(GATED), select=["VLL312"], settings=Settings(root=tmp_path / "a", offline=False))
    [f] = result.findings
    assert f.code == "VLL312" and "the launch sets no HF_TOKEN" in f.message and "secretKeyRef" in f.hint
    # envFrom a ConfigMap of the tree that holds no token: seen, still no token
    shutil.rmtree(tmp_path / "hf-cache")  # the cache does not keep the gated flag: from the Hub again
    cm = "          envFrom:\n            - configMapRef: {name: llm-env}\n"
    doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: llm-env}\ndata: {VLLM_LOGGING_LEVEL: DEBUG}\n"
    result = lint(tmp_path / "b", kube(GATED, cm, doc), select=["VLL312"], settings=Settings(root=tmp_path / "b", offline=False))
    assert codes(result) == ["VLL312"]
    shutil.rmtree(tmp_path / "hf-cache")
    other = HF_HOME_ENV + "          volumeMounts:\n            - {name: hf, mountPath: /data/other}\n"  # not HF_HOME
    result = lint(tmp_path / "c", kube(GATED, other), select=["VLL312"], settings=Settings(root=tmp_path / "c", offline=False))
    assert codes(result) == ["VLL312"]


@pytest.mark.parametrize("container_extra, extra_docs", [
    ("          env:\n            - name: HF_TOKEN\n              valueFrom: {secretKeyRef: {name: hf, key: token}}\n", ""),
    ("          envFrom:\n            - secretRef: {name: hf-credentials}\n", ""),  # a Secret the linter cannot see
    ("          envFrom:\n            - configMapRef: {name: cluster-env}\n", ""),
    ("          envFrom:\n            - secretRef: {name: hf}\n",
     "---\napiVersion: v1\nkind: Secret\nmetadata: {name: hf}\nstringData: {HF_TOKEN: from-the-secret}\n"),
    (HF_HOME_ENV + "          volumeMounts:\n            - {name: hf, mountPath: /data/hf}\n"
     "      volumes:\n        - name: hf\n          secret: {secretName: hf-home}\n", ""),  # HF_HOME holds the token
    ("          env:\n            - {name: HF_HUB_OFFLINE, value: \"1\"}\n", ""),
])
def test_gated_model_in_kubernetes_with_a_token_stays_quiet(tmp_path, gated_hub, container_extra, extra_docs):
    files = kube(GATED, container_extra, extra_docs)
    assert codes(lint(tmp_path, files, select=["VLL312"], settings=Settings(root=tmp_path, offline=False))) == []


def test_gated_model_in_an_operator_resource_is_not_judged(tmp_path, gated_hub):
    """KubeAI hands the Hugging Face token of its own configuration to the pods it starts."""
    files = {"models/llm.yaml": f"""apiVersion: kubeai.org/v1
kind: Model
metadata:
  name: llama-support
spec:
  features: [TextGeneration]
  url: hf://{GATED}
  engine: VLLM
  image: vllm/vllm-openai:v0.11.0
  resourceProfile: nvidia-gpu-l4:1
"""}
    result = lint(tmp_path, files, select=["VLL312"], settings=Settings(root=tmp_path, offline=False))
    assert [d.source_format for d in result.project.deployments] == ["kubeai"] and codes(result) == []


def test_gated_flag_is_kept_in_the_models_lock(tmp_path, gated_hub, monkeypatch):
    from click.testing import CliRunner
    from conftest import write

    from vllm_lint.cli import main
    from vllm_lint.models.lock import LOCK_DIR, LOCK_NAME

    repo = tmp_path / "repo"
    write(repo, compose("v0.11.0", ["--model", GATED]))
    out = CliRunner().invoke(main, ["models", "lock", str(repo)])
    assert out.exit_code == 0, out.output
    entry = json.loads((repo / LOCK_DIR / LOCK_NAME).read_text())["models"][GATED]
    assert entry["gated"] == "manual"
    gated_hub.stop()  # CI: the lock alone, offline, no token
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = lint(repo, select=["VLL312"], settings=Settings(root=repo, offline=True))
    assert codes(result) == ["VLL312"]


# ---------------------------------------------------------------------------------------- VLL313 no-chat-template

BASE = "acme/qwen3-8b-support-base"
INSTRUCT = "acme/qwen3-8b-support-instruct"
SEPARATE = "acme/qwen3-8b-support-json"
JINJA = "acme/qwen3-8b-support-jinja"


@pytest.fixture
def template_hub(tmp_path, monkeypatch):
    config = _config(QWEN3_8B)
    no_template = {"tokenizer_class": "Qwen2Tokenizer", "model_max_length": 131072}
    server = _team_hub(tmp_path, monkeypatch, {
        BASE: {"config.json": config, "tokenizer_config.json": no_template},
        INSTRUCT: {"config.json": config, "tokenizer_config.json": {**no_template, "chat_template": CHAT}},
        SEPARATE: {"config.json": config, "tokenizer_config.json": no_template, "chat_template.json": {"chat_template": CHAT}},
    })
    (tmp_path / "hub" / JINJA).mkdir(parents=True)  # transformers >= 4.50 saves the template beside the tokenizer
    (tmp_path / "hub" / JINJA / "config.json").write_text(json.dumps(config))
    (tmp_path / "hub" / JINJA / "tokenizer_config.json").write_text(json.dumps(no_template))
    (tmp_path / "hub" / JINJA / "chat_template.jinja").write_text(CHAT)
    yield server
    server.stop()


def test_no_chat_template_fires_on_a_base_model(tmp_path, template_hub):
    [f] = run(tmp_path / "a", "v0.11.0", ["--model", BASE], ["VLL313"], offline=False).findings
    assert f.code == "VLL313" and "default chat template is no longer allowed" in f.message
    assert "vllm/entrypoints/chat_utils.py:1623 in 0.11.0" in f.message
    shutil.rmtree(tmp_path / "hf-cache")  # from the Hub again (a cache read does not know the listing: see below)
    [f] = run(tmp_path / "b", "v0.33.0", ["--model", BASE], ["VLL313"], offline=False).findings
    assert "vllm/renderers/hf.py:888 in 0.33.0" in f.message


def test_no_chat_template_from_the_models_lock_offline(tmp_path, template_hub, monkeypatch):
    from click.testing import CliRunner
    from conftest import write

    from vllm_lint.cli import main
    from vllm_lint.models.lock import LOCK_DIR, LOCK_NAME

    repo = tmp_path / "repo"
    write(repo, compose("v0.11.0", ["--model", BASE]))
    out = CliRunner().invoke(main, ["models", "lock", str(repo)])
    assert out.exit_code == 0, out.output
    entry = json.loads((repo / LOCK_DIR / LOCK_NAME).read_text())["models"][BASE]
    assert entry["tokenizer"] == {"chat_template": False, "from": "tokenizer_config.json", "tokenizer_class": "Qwen2Tokenizer"}
    assert entry["gated"] is False
    template_hub.stop()
    shutil.rmtree(tmp_path / "hf-cache")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert codes(lint(repo, select=["VLL313"], settings=Settings(root=repo, offline=True))) == ["VLL313"]


@pytest.mark.parametrize("model, args", [
    (INSTRUCT, []),
    (SEPARATE, []),  # chat_template.json beside the tokenizer
    (JINJA, []),  # chat_template.jinja
    (BASE, ["--chat-template", "/templates/chatml.jinja"]),
    (BASE, ["--tokenizer", "Qwen/Qwen3-8B"]),
    (BASE, ["--task", "embed"]),
    (BASE, ["--tokenizer-mode", "mistral"]),
])
def test_no_chat_template_good_variants(tmp_path, template_hub, model, args):
    assert codes(run(tmp_path, "v0.11.0", ["--model", model, *args], ["VLL313"], offline=False)) == []


def test_tokenizer_config_is_fetched_cached_and_locked(tmp_path, template_hub, monkeypatch):
    from vllm_lint.models.request import ModelRequest
    from vllm_lint.models.resolve import resolve

    meta = resolve([ModelRequest(BASE)], use_snapshot=False)[ModelRequest(BASE)]
    assert meta.tokenizer == {"chat_template": False, "from": "tokenizer_config.json", "tokenizer_class": "Qwen2Tokenizer"}
    assert meta.has_chat_template is False
    template_hub.stop()  # read again from the HF cache: it holds tokenizer_config.json, not the repository's listing,
    again = resolve([ModelRequest(BASE)], offline=True)[ModelRequest(BASE)]  # so a chat_template.jinja may be missing
    assert again.source == "cache" and again.has_chat_template is None
    assert codes(run(tmp_path / "offline", "v0.11.0", ["--model", BASE], ["VLL313"])) == []


def test_the_bundled_snapshot_knows_no_tokenizer_and_stays_quiet(tmp_path):
    assert codes(run(tmp_path, "v0.11.0", ["--model", QWEN3_8B], ["VLL313"])) == []


# ---------------------------------------------------------------------------------------- VLL210 chunked prefill off


def test_batched_tokens_below_the_context_with_chunked_prefill_off(tmp_path):
    args = ["--model", QWEN3_8B, "--no-enable-chunked-prefill", "--max-num-batched-tokens", "4096"]
    [f] = run(tmp_path, "v0.19.1", args, ["VLL210"]).findings
    assert f.code == "VLL210" and f.severity == "error"
    assert "max_num_batched_tokens (4096) is smaller than max_model_len (40960)" in f.message
    assert "max_position_embeddings=40960" in f.message and "vllm/config/scheduler.py:266 in 0.19.1" in f.message
    [f] = run(tmp_path, "v0.19.1", [*args, "--max-model-len", "16k"], ["VLL210"]).findings
    assert "max_model_len (16000)" in f.message
    [f] = run(tmp_path, "v0.33.0", ["--model", QWEN3_8B, "--no-enable-chunked-prefill", "--max-num-batched-tokens",
                                    "2048", "--max-model-len", "8192"], ["VLL210"]).findings
    assert "(2048) is smaller than max_model_len (8192)" in f.message and "scheduler.py:324 in 0.33.0" in f.message


@pytest.mark.parametrize("image, args", [
    ("v0.19.1", ["--no-enable-chunked-prefill", "--max-num-batched-tokens", "40960"]),  # enough for the context
    ("v0.19.1", ["--no-enable-chunked-prefill", "--max-num-batched-tokens", "4096", "--max-model-len", "4096"]),
    ("v0.19.1", ["--enable-chunked-prefill", "--max-num-batched-tokens", "4096"]),  # chunked prefill on
    ("v0.19.1", ["--max-num-batched-tokens", "4096"]),  # on by default
    ("v0.11.0", ["--no-enable-chunked-prefill", "--max-num-batched-tokens", "4096"]),  # 0.11.0 turns it back on
])
def test_batched_tokens_good_variants(tmp_path, image, args):
    assert codes(run(tmp_path, image, ["--model", QWEN3_8B, *args], ["VLL210"])) == []


def test_a_release_not_read_is_not_judged(tmp_path):
    args = ["--model", QWEN3_8B, "--no-enable-chunked-prefill", "--max-num-batched-tokens", "4096"]
    result = run(tmp_path, "v0.11.1", args, ["VLL210"])
    assert codes(result) == [] and any("VLL210" in n and "not read" in n for n in result.notes)


# ---------------------------------------------------------------------------------------- VLL307 expert parallel


def test_eplb_experts_not_divisible_by_the_expert_parallel_size(tmp_path):
    args = ["--model", MOE, "--tensor-parallel-size", "2", "--data-parallel-size", "3", "--enable-expert-parallel",
            "--enable-eplb"]
    [f] = run(tmp_path, "v0.11.0", args, ["VLL307"]).findings
    assert f.code == "VLL307" and "128 routed = 128 experts do not divide by 6" in f.message
    assert "EPLB currently only supports even distribution of experts across ranks." in f.message
    assert "layer.py:1019 in 0.11.0" in f.message and '"num_redundant_experts": 4' in f.hint
    # redundant experts that make it uneven
    [f] = run(tmp_path, "v0.11.0", ["--model", MOE, "--tensor-parallel-size", "4", "--enable-expert-parallel",
                                    "--enable-eplb", "--eplb-config", '{"num_redundant_experts": 2}'], ["VLL307"]).findings
    assert "128 routed + 2 redundant = 130 experts do not divide by 4" in f.message
    # redundant experts without EPLB: refused whatever the model, VLL209's engine check says it (once)
    result = run(tmp_path, "v0.11.0", ["--model", MOE, "--tensor-parallel-size", "4", "--enable-expert-parallel",
                                       "--eplb-config", '{"num_redundant_experts": 4}'], ["VLL307", "VLL209"])
    [f] = result.findings
    assert f.code == "VLL209" and "num_redundant_experts is set to 4 but EPLB is not enabled" in f.message


@pytest.mark.parametrize("args", [
    ["--tensor-parallel-size", "4", "--enable-expert-parallel", "--enable-eplb"],  # 128 / 4
    ["--tensor-parallel-size", "2", "--data-parallel-size", "3", "--enable-expert-parallel"],  # uneven without EPLB: allowed
    ["--tensor-parallel-size", "2", "--data-parallel-size", "3", "--enable-expert-parallel", "--enable-eplb",
     "--eplb-config", '{"num_redundant_experts": 4}'],  # 132 / 6
])
def test_expert_parallel_good_variants(tmp_path, args):
    assert codes(run(tmp_path, "v0.11.0", ["--model", MOE, *args], ["VLL307"])) == []


# ---------------------------------------------------------------------------------------- VLL314 lora-adapters

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


def lora_project(tmp_path, image, args, adapters: dict[str, dict], volume="./adapters:/adapters"):
    files = compose(image, ["--model", QWEN3_8B, "--enable-lora", *args], f"    volumes:\n      - {volume}\n")
    for name, config in adapters.items():
        files[f"adapters/{name}/adapter_config.json"] = json.dumps(config)
    return lint(tmp_path, files, select=["VLL314"], settings=Settings(root=tmp_path, offline=True))


def test_adapter_rank_above_max_lora_rank(tmp_path):
    adapter = {"peft_type": "LORA", "r": 64, "lora_alpha": 128, "target_modules": LORA_TARGETS}
    result = lora_project(tmp_path, "v0.11.0", ["--lora-modules", "sql=/adapters/sql"], {"sql": adapter})
    [f] = result.findings
    assert f.code == "VLL314" and "LoRA rank 64 is greater than max_lora_rank 16." in f.message
    assert "stops at start-up" in f.message and "vllm/lora/peft_helper.py:121 in 0.11.0" in f.message
    assert f.fix is not None and not f.fix.safe and "--max-lora-rank 64" in f.fix.description
    # an explicit --max-lora-rank too small; 0.11.2 accepts rank 1 too, the fix takes the smallest that holds 100
    adapter["r"] = 100
    [f] = lora_project(tmp_path, "v0.11.2", ["--max-lora-rank", "32", "--lora-modules",
                                             '{"name": "sql", "path": "/adapters/sql"}'], {"sql": adapter}).findings
    assert "LoRA rank 100 is greater than max_lora_rank 32." in f.message
    assert [e.replacement for e in f.fix.edits] == ["128"]


def test_adapter_features_vllm_refuses(tmp_path):
    dora = {"peft_type": "LORA", "r": 8, "use_dora": True, "modules_to_save": ["lm_head"], "target_modules": LORA_TARGETS}
    [f] = lora_project(tmp_path, "v0.11.0", ["--lora-modules", "chat=/adapters/chat"], {"chat": dora}).findings
    assert "vLLM only supports modules_to_save being None. vLLM does not yet support DoRA." in f.message
    assert f.fix is None and "peft_helper.py:48 in 0.11.0" in f.message
    # max_cpu_loras below max_loras
    result = lora_project(tmp_path, "v0.11.0", ["--max-loras", "2", "--max-cpu-loras", "1"], {})
    assert [f.message.split('"')[1] for f in result.findings] == ["max_cpu_loras (1) must be >= max_loras (2)"]


@pytest.mark.parametrize("args, adapter", [
    (["--lora-modules", "sql=/adapters/sql"], {"r": 16, "target_modules": LORA_TARGETS}),  # the default holds it
    (["--max-lora-rank", "64", "--lora-modules", "sql=/adapters/sql"], {"r": 64}),
    (["--lora-modules", "sql=acme/sql-lora"], {"r": 64}),  # a Hub adapter: not fetched
    (["--lora-modules", "sql=/elsewhere/sql"], {"r": 64}),  # not mounted: VLL105's concern
    (["--max-loras", "2", "--max-cpu-loras", "4"], {}),
])
def test_lora_good_variants(tmp_path, args, adapter):
    assert codes(lora_project(tmp_path, "v0.11.0", args, {"sql": adapter})) == []


def _safetensors_header(keys: list[str]) -> bytes:
    """The header of a safetensors file naming ``keys`` (the tensors themselves are not read)."""
    header = json.dumps({k: {"dtype": "F16", "shape": [8, 8], "data_offsets": [0, 128]} for k in keys}).encode()
    return len(header).to_bytes(8, "little") + header + b"\0" * 128


def test_lora_modules_table_follows_its_schema():
    import jsonschema

    table = yaml.safe_load((REPO / "knowledge/vllm/lora_modules.yaml").read_text())
    schema = json.loads((REPO / "knowledge/schemas/vllm_lora_modules.schema.json").read_text())
    jsonschema.validate(table, schema)
    qwen3 = table["architectures"]["Qwen3ForCausalLM"]
    assert "lm_head" not in fact(qwen3, "0.11.0")["modules"] and "lm_head" in fact(qwen3, "0.16.0")["modules"]
    assert {"q_proj", "qkv_proj", "gate_proj", "down_proj"} <= set(fact(qwen3, "0.11.0")["modules"])


def test_lora_modules_tool_reads_a_model_tree(tmp_path):
    """knowledge/tools/build_vllm_lora_modules.py on a small tree: linear layers of the classes the model names (here
    and through imports and the registry), packed modules, embeddings; MoE and incomplete tables are flagged."""
    import importlib.util

    from packaging.version import Version

    spec = importlib.util.spec_from_file_location("build_lora", REPO / "knowledge/tools/build_vllm_lora_modules.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    files = {
        "layers/linear.py": "class LinearBase: pass\nclass ColumnParallelLinear(LinearBase): pass\n"
                            "class QKVParallelLinear(ColumnParallelLinear): pass\nclass RowParallelLinear(LinearBase): pass\n"
                            "class ReplicatedLinear(LinearBase): pass\n",
        "layers/router.py": "from vllm.model_executor.layers.linear import ReplicatedLinear\n"
                            "class GateLinear(ReplicatedLinear): pass\n",
        "models/interfaces.py": "class SupportsLoRA:\n    packed_modules_mapping = {}\n    embedding_modules = {}\n",
        "models/registry.py": '_TEXT_GENERATION_MODELS = {"ToyForCausalLM": ("toy", "ToyForCausalLM"), '
                              '"ToyMoeForCausalLM": ("toy", "ToyMoeForCausalLM")}\n'
                              '_MULTIMODAL_MODELS = {"ToyVL": ("toy_vl", "ToyVL"), "ToyBad": ("toy_vl", "ToyBad")}\n',
        "models/mlp.py": "from vllm.model_executor.layers.linear import ColumnParallelLinear, RowParallelLinear\n"
                         "class ToyMLP:\n    def __init__(self):\n        self.gate_up_proj = ColumnParallelLinear()\n"
                         "        self.down_proj = RowParallelLinear()\n        self.act = nn.SiLU()\n",
        "models/toy.py": "from .interfaces import SupportsLoRA\nfrom .mlp import ToyMLP\n"
                         "from vllm.model_executor.layers.linear import QKVParallelLinear\n"
                         "from vllm.model_executor.layers.router import GateLinear\n"
                         "class Attn:\n    def __init__(self):\n        self.qkv_proj = QKVParallelLinear()\n"
                         "        self.o_proj = nn.Linear()\n"
                         "class ToyForCausalLM(nn.Module, SupportsLoRA):\n"
                         '    packed_modules_mapping = {"qkv_proj": ["q_proj", "k_proj", "v_proj"]}\n'
                         '    embedding_modules = {"embed_tokens": "input_embeddings"}\n'
                         "    def __init__(self):\n        self.layers = [Attn(), ToyMLP()]\n"
                         '        self.packed_modules_mapping["gate_up_proj"] = ["gate_proj", "up_proj"]\n'
                         "class ToyMoeForCausalLM(ToyForCausalLM):\n"
                         "    def __init__(self):\n        self.gate = GateLinear()\n        self.experts = FusedMoE()\n",
        "models/toy_vl.py": "from .interfaces import SupportsLoRA\n"
                            "class ToyVL(nn.Module, SupportsLoRA):\n    def __init__(self):\n"
                            '        self.lm = init_vllm_registered_model(architectures=["ToyForCausalLM"])\n'
                            "class ToyBad(nn.Module, SupportsLoRA):\n    def __init__(self, config):\n"
                            "        self.lm = init_vllm_registered_model(architectures=config.archs)\n",
        "../lora/utils.py": "def get_supported_lora_modules(model):\n    return [isinstance(m, (LinearBase,)) for m in model]\n",
    }
    root = tmp_path / "0.11.0"
    for rel, text in files.items():
        path = root / "vllm/model_executor" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    tree = tool.Tree(root)
    reg = tool.registry(tree)
    toy = tool.supported(tree, Version("0.11.0"), "vllm/model_executor/models/toy.py", "ToyForCausalLM", reg)
    assert toy == {"modules": ["down_proj", "embed_tokens", "gate_proj", "gate_up_proj", "k_proj", "q_proj", "qkv_proj",
                               "up_proj", "v_proj"], "complete": True, "moe": False}  # nn.Linear is not LinearBase
    moe = tool.supported(tree, Version("0.11.0"), "vllm/model_executor/models/toy.py", "ToyMoeForCausalLM", reg)
    assert moe["moe"] and "gate" in moe["modules"] and "experts" not in moe["modules"]  # 0.11.0 counts no FusedMoE
    vl = tool.supported(tree, Version("0.11.0"), "vllm/model_executor/models/toy_vl.py", "ToyVL", reg)
    assert vl["modules"] == toy["modules"] and vl["complete"]
    assert not tool.supported(tree, Version("0.11.0"), "vllm/model_executor/models/toy_vl.py", "ToyBad", reg)["complete"]


def test_adapter_target_modules_the_architecture_does_not_take(tmp_path):
    adapter = {"peft_type": "LORA", "r": 8, "target_modules": [*LORA_TARGETS, "lm_head"]}
    [f] = lora_project(tmp_path / "a", "v0.11.0", ["--lora-modules", "sql=/adapters/sql"], {"sql": adapter}).findings
    assert f.code == "VLL314" and "stops at start-up" in f.message
    assert "While loading /adapters/sql, expected target modules in [...]" in f.message and "it takes down_proj" in f.message
    assert "but received ['lm_head']" in f.message and "vllm/lora/models.py:236 in 0.11.0" in f.message
    assert "names lm_head, which Qwen3ForCausalLM takes no LoRA on in 0.11.0" in f.message
    assert "vllm/model_executor/models/qwen3.py:246 in 0.8.5.post1" in f.message
    # the tensor names of adapter_model.safetensors are what vLLM compares, when the adapter has them
    folder = tmp_path / "b"
    keys = [f"base_model.model.model.layers.0.self_attn.{m}.lora_{ab}.weight" for m in LORA_TARGETS for ab in "AB"]
    keys += ["base_model.model.model.embed_tokens.lora_embedding_A", "base_model.model.model.embed_tokens.lora_embedding_B"]
    (folder / "adapters/chat").mkdir(parents=True)
    (folder / "adapters/chat/adapter_model.safetensors").write_bytes(_safetensors_header(keys))
    plain = {"peft_type": "LORA", "r": 8, "target_modules": LORA_TARGETS}  # the config does not say embed_tokens
    [f] = lora_project(folder, "v0.11.0", ["--lora-modules", "chat=/adapters/chat"], {"chat": plain}).findings
    assert "but received ['model.embed_tokens']" in f.message and "adapter_model.safetensors" in f.message
    # 0.16.0 takes LoRA on Qwen3's embeddings and lm_head
    assert codes(lora_project(tmp_path / "c", "v0.16.0", ["--lora-modules", "sql=/adapters/sql"], {"sql": adapter})) == []


@pytest.mark.parametrize("image, adapter", [
    ("v0.11.0", {"r": 8, "target_modules": [*LORA_TARGETS, "gate_proj", "up_proj", "down_proj"]}),
    ("v0.11.0", {"r": 8, "target_modules": ["model.layers.3.self_attn.q_proj"]}),  # a path: its last name counts
    ("v0.11.0", {"r": 8, "target_modules": "all-linear"}),  # not a list: not judged
    ("v0.11.0", {"r": 8, "target_modules": r".*\.(q|v)_proj"}),  # a regex: not judged
    ("v0.8.4", {"r": 8, "target_modules": [*LORA_TARGETS, "lm_head"]}),  # before the table's first entry: not judged
])
def test_adapter_target_modules_good_variants(tmp_path, image, adapter):
    assert codes(lora_project(tmp_path, image, ["--lora-modules", "sql=/adapters/sql"], {"sql": adapter})) == []


@pytest.mark.parametrize("weights", [b"", b"\xff" * 8, (10**9).to_bytes(8, "little"), (4).to_bytes(8, "little") + b"[1]x",
                                     _safetensors_header(["lm_head.weight", "base_model.model.x.experts.3.w1.lora_A.weight"])])
def test_unreadable_or_unjudged_adapter_weights(tmp_path, weights):
    """A broken header falls back to target_modules (which are fine here); saved modules and experts are not judged."""
    (tmp_path / "adapters/sql").mkdir(parents=True)
    (tmp_path / "adapters/sql/adapter_model.safetensors").write_bytes(weights)
    result = lora_project(tmp_path, "v0.11.0", ["--lora-modules", "sql=/adapters/sql"],
                          {"sql": {"r": 8, "target_modules": LORA_TARGETS}})
    assert codes(result) == [] and not result.internal_errors


def test_more_adapters_than_the_cpu_cache_is_not_reported(tmp_path):
    """vLLM evicts the least recently used adapter from its CPU cache, with no error (see the rule's docs)."""
    adapter = {"r": 8, "target_modules": LORA_TARGETS}
    args = ["--max-loras", "1", "--max-cpu-loras", "1", "--lora-modules", "a=/adapters/a", "b=/adapters/b",
            "c=/adapters/c"]
    assert codes(lora_project(tmp_path, "v0.11.0", args, {"a": adapter, "b": adapter, "c": adapter})) == []
    assert source_in(data()["lora"]["cpu_cache_eviction"]["source"], "0.11.0") == "vllm/lora/worker_manager.py:258 in 0.11.0"


# ---------------------------------------------------------------------------------------- VLL315 mm-item-exceeds-batch

VL_7B = "Qwen/Qwen2.5-VL-7B-Instruct"  # max_pixels 12845056, patch 14, merge 2: 16384 tokens per image


def test_image_larger_than_the_batch_with_chunked_mm_input_off(tmp_path):
    args = ["--model", VL_7B, "--disable-chunked-mm-input", "--max-num-batched-tokens", "8192"]
    [f] = run(tmp_path, "v0.11.0", args, ["VLL315"]).findings
    assert f.code == "VLL315" and "max_tokens_per_mm_item (16384) is larger than max_num_batched_tokens (8192)" in f.message
    assert "preprocessor_config.json" in f.message and "encoder_cache_manager.py:323 in 0.11.0" in f.message
    kwargs = ["--mm-processor-kwargs", '{"max_pixels": 4014080}']  # 2000 × 2007: 71 × 71 squares of 28
    [f] = run(tmp_path, "v0.11.0", ["--model", VL_7B, "--disable-chunked-mm-input", "--max-num-batched-tokens", "4096",
                                    *kwargs], ["VLL315"]).findings
    assert "(5041) is larger than max_num_batched_tokens (4096)" in f.message and "--mm-processor-kwargs" in f.message


@pytest.mark.parametrize("args", [
    ["--disable-chunked-mm-input", "--max-num-batched-tokens", "16384"],
    ["--max-num-batched-tokens", "8192"],  # chunked multimodal input on (the default)
    ["--disable-chunked-mm-input", "--max-num-batched-tokens", "8192", "--mm-processor-kwargs", '{"max_pixels": 1003520}'],
    ["--disable-chunked-mm-input", "--max-num-batched-tokens", "8192", "--limit-mm-per-prompt", '{"image": 0, "video": 0}'],
])
def test_mm_item_good_variants(tmp_path, args):
    assert codes(run(tmp_path, "v0.11.0", ["--model", VL_7B, *args], ["VLL315"])) == []


QWEN3_VL = "Qwen/Qwen3-VL-32B-Instruct"  # patch 16, merge 2: squares of 32 pixels
QWEN3_5 = "Qwen/Qwen3.5-27B"  # the same vision tower and processor family


def test_qwen3_vl_and_qwen3_5_images_larger_than_the_batch(tmp_path):
    kwargs = ["--mm-processor-kwargs", '{"max_pixels": 4194304}']  # 2048 × 2048: 64 × 64 squares of 32
    args = ["--disable-chunked-mm-input", "--max-num-batched-tokens", "2048", *kwargs]
    [f] = run(tmp_path / "a", "v0.11.0", ["--model", QWEN3_VL, *args], ["VLL315"]).findings
    assert "max_tokens_per_mm_item (4096) is larger than max_num_batched_tokens (2048)" in f.message
    assert "vllm/model_executor/models/qwen3_vl.py:586 in 0.11.0" in f.message
    [f] = run(tmp_path / "b", "v0.19.1", ["--model", QWEN3_5, *args], ["VLL315"]).findings
    assert "(4096) is larger than" in f.message and "qwen3_5.py:112 in 0.17.0" in f.message
    size = ["--mm-processor-kwargs", '{"size": {"longest_edge": 1048576, "shortest_edge": 65536}}']  # 32 × 32 squares
    [f] = run(tmp_path / "c", "v0.19.1", ["--model", QWEN3_VL, "--disable-chunked-mm-input", "--max-num-batched-tokens",
                                          "512", *size], ["VLL315"]).findings
    assert "(1024) is larger than max_num_batched_tokens (512)" in f.message and "size.longest_edge" in f.message


@pytest.fixture
def qwen3_vl_hub(tmp_path, monkeypatch):
    """Qwen3-VL's config with its preprocessor_config.json (size.longest_edge 16777216 pixels)."""
    pre = {"size": {"longest_edge": 16777216, "shortest_edge": 65536}, "patch_size": 16, "temporal_patch_size": 2,
           "merge_size": 2, "image_processor_type": "Qwen2VLImageProcessorFast", "processor_class": "Qwen3VLProcessor"}
    config = json.loads((REPO / "knowledge/models/Qwen--Qwen3-VL-32B-Instruct.json").read_text())["config"]
    server = _team_hub(tmp_path, monkeypatch, {"acme/qwen3-vl-support": {"config.json": config,
                                                                       "preprocessor_config.json": pre}})
    yield server
    server.stop()


def test_qwen3_vl_default_processor_takes_16384_tokens(tmp_path, qwen3_vl_hub):
    args = ["--model", "acme/qwen3-vl-support", "--disable-chunked-mm-input", "--max-num-batched-tokens", "8192"]
    [f] = run(tmp_path / "a", "v0.11.0", args, ["VLL315"], offline=False).findings
    assert "(16384) is larger than max_num_batched_tokens (8192)" in f.message
    assert "preprocessor_config.json (size.longest_edge)" in f.message
    enough = ["--model", "acme/qwen3-vl-support", "--disable-chunked-mm-input", "--max-num-batched-tokens", "16384"]
    assert codes(run(tmp_path / "b", "v0.11.0", enough, ["VLL315"], offline=False)) == []


@pytest.mark.parametrize("image, model, args", [
    ("v0.11.0", QWEN3_VL, ["--max-num-batched-tokens", "2048", "--mm-processor-kwargs", '{"max_pixels": 4194304}']),
    ("v0.11.0", QWEN3_VL, ["--disable-chunked-mm-input", "--max-num-batched-tokens", "4096", "--mm-processor-kwargs",
                           '{"max_pixels": 4194304}']),  # exactly fits
    ("v0.11.0", QWEN3_VL, ["--disable-chunked-mm-input", "--max-num-batched-tokens", "2048"]),  # no max_pixels known
    ("v0.16.0", QWEN3_5, ["--disable-chunked-mm-input", "--max-num-batched-tokens", "2048", "--mm-processor-kwargs",
                          '{"max_pixels": 4194304}']),  # Qwen3.5 is not served before 0.17.0
])
def test_qwen3_vl_good_variants(tmp_path, image, model, args):
    assert codes(run(tmp_path, image, ["--model", model, *args], ["VLL315"])) == []


GEMMA4 = "google/gemma-4-26B-A4B"  # vision_config.default_output_length 280
NO_VIDEO = ["--limit-mm-per-prompt", '{"video": 0}']


def test_gemma4_video_or_image_larger_than_the_batch(tmp_path):
    args = ["--model", GEMMA4, "--disable-chunked-mm-input", "--max-num-batched-tokens", "2048"]
    [f] = run(tmp_path / "a", "v0.33.0", args, ["VLL315"]).findings
    assert "largest video takes 2496 tokens (32 frames × 78" in f.message and "gemma4_mm.py:272 in 0.33.0" in f.message
    assert "max_tokens_per_mm_item (2496) is larger than max_num_batched_tokens (2048)" in f.message
    assert "encoder_cache_manager.py:367 in 0.33.0" in f.message and "num_frames" in f.hint
    # 0.20.x reads no num_frames: the 32 frames stay
    frames = ["--limit-mm-per-prompt", '{"video": {"count": 1, "num_frames": 16}}']
    [f] = run(tmp_path / "b", "v0.20.2", [*args, *frames], ["VLL315"]).findings
    assert "(2496) is larger" in f.message and "gemma4_mm.py:215 in 0.20.0" in f.message
    # images at max_soft_tokens 1120 (0.21.0 on), videos off
    soft = ["--mm-processor-kwargs", '{"max_soft_tokens": 1120}']
    [f] = run(tmp_path / "c", "v0.33.0", ["--model", GEMMA4, "--disable-chunked-mm-input", "--max-num-batched-tokens",
                                          "1024", *NO_VIDEO, *soft], ["VLL315"]).findings
    assert "largest image takes 1120 tokens (max_soft_tokens in --mm-processor-kwargs 1120" in f.message


@pytest.mark.parametrize("image, args", [
    ("v0.33.0", ["--max-num-batched-tokens", "2496"]),
    ("v0.33.0", ["--max-num-batched-tokens", "2048", "--limit-mm-per-prompt", '{"video": {"count": 1, "num_frames": 16}}']),
    ("v0.33.0", ["--max-num-batched-tokens", "1024", *NO_VIDEO]),  # 280 per image
    ("v0.33.0", ["--max-num-batched-tokens", "1024", *NO_VIDEO, "--mm-processor-kwargs", '{"max_soft_tokens": 1000}']),
    ("v0.20.2", ["--max-num-batched-tokens", "1024", *NO_VIDEO, "--mm-processor-kwargs", '{"max_soft_tokens": 1120}']),
    ("v0.33.0", ["--max-num-batched-tokens", "64", "--limit-mm-per-prompt", '{"image": 0, "video": 0}']),
    ("v0.19.1", ["--max-num-batched-tokens", "1024"]),  # Gemma 4 is not served before 0.20.0: not judged here
])
def test_gemma4_good_variants(tmp_path, image, args):
    assert codes(run(tmp_path, image, ["--model", GEMMA4, "--disable-chunked-mm-input", *args], ["VLL315"])) == []


def test_text_models_are_not_judged_for_images(tmp_path):
    args = ["--model", QWEN3_8B, "--disable-chunked-mm-input", "--max-num-batched-tokens", "1024"]
    assert codes(run(tmp_path, "v0.11.0", args, ["VLL315"])) == []


# ---------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("args", [
    ["--model", MOE, "--tensor-parallel-size", "100000000", "--enable-expert-parallel", "--enable-eplb"],
    ["--model", MOE, "--data-parallel-size", "x", "--enable-expert-parallel", "--enable-eplb", "--eplb-config", "{not json"],
    ["--model", QWEN3_8B, "--no-enable-chunked-prefill", "--max-num-batched-tokens", "lots", "--max-model-len", "-1"],
    ["--model", QWEN3_8B, "--enable-lora", "--lora-modules", "broken", "{", '{"path": 3}', "--max-lora-rank", "x"],
    ["--model", QWEN3_8B, "--enable-lora", "--lora-modules", "a=/adapters/dir", "--max-loras", "2", "--max-cpu-loras", "y"],
    ["--model", VL_7B, "--disable-chunked-mm-input", "--max-num-batched-tokens", "8", "--mm-processor-kwargs",
     '{"max_pixels": -4}'],
    ["--model", QWEN3_8B, "--dtype", "${DTYPE}"],
    ["--model", GEMMA4, "--disable-chunked-mm-input", "--max-num-batched-tokens", "8", "--limit-mm-per-prompt",
     '{"video": {"count": "x", "num_frames": [1]}, "image": null}', "--mm-processor-kwargs", '{"images_kwargs": 5}'],
    ["--model", QWEN3_VL, "--disable-chunked-mm-input", "--max-num-batched-tokens", "8", "--mm-processor-kwargs",
     '{"size": {"longest_edge": true}, "max_pixels": 1e400}'],
])
def test_bad_values_never_give_a_traceback(tmp_path, args):
    files = compose("v0.19.1", args, "    volumes:\n      - ./adapters:/adapters\n")
    (tmp_path / "adapters" / "dir" / "adapter_config.json").mkdir(parents=True)  # a folder where a file is expected
    result = lint(tmp_path, files, select=["VLL210", "VLL307", "VLL311", "VLL314", "VLL315"],
                  settings=Settings(root=tmp_path, offline=True, hardware="t4"))
    assert not result.internal_errors


@pytest.mark.parametrize("env, expected", [("", ["VLL312"]), ("-e HF_TOKEN ", []), ("--env-file .env ", [])])
def test_gated_model_in_docker_run(tmp_path, gated_hub, env, expected):
    files = {"serve.sh": f"#!/bin/sh\ndocker run --gpus all {env}vllm/vllm-openai:v0.11.0 --model {GATED}\n",
             ".env": "HF_TOKEN=read-from-the-env-file\n"}
    result = lint(tmp_path, files, select=["VLL312"], settings=Settings(root=tmp_path, offline=False))
    assert codes(result) == expected


# -- from the examples/field-startup profile: what fired beside the rules above, wrongly -----------------------------

def test_model_option_of_the_api_server_image_is_not_vllm_serves_refusal(tmp_path):
    """vLLM 0.8.5.post1's image runs the api_server module, which takes --model; `vllm serve`'s refusal of the word
    is VLL201's, reported once."""
    args = ["--model", "Qwen/Qwen3-1.7B"]
    assert codes(run(tmp_path / "a", "v0.8.5.post1", args, ["VLL201", "VLL202"])) == []
    files = {"start.sh": "#!/bin/sh\nvllm serve --model Qwen/Qwen3-1.7B --port 8000\n"}
    settings = Settings(root=tmp_path / "b", offline=True, vllm_version="0.8.5.post1")
    assert codes(lint(tmp_path / "b", files, select=["VLL201", "VLL202"], settings=settings)) == ["VLL201"]


def test_half_on_a_gpu_without_bfloat16_is_not_a_dtype_mismatch(tmp_path):
    """On a T4 or V100 float16 is the way vLLM's own bfloat16 error names: VLL304 speaks only where bfloat16 runs."""
    args = ["--model", QWEN3_8B, "--dtype", "half"]
    assert codes(run(tmp_path / "a", "v0.11.0", args, ["VLL304"], hardware="t4")) == []
    assert codes(run(tmp_path / "b", "v0.11.0", args, ["VLL304"], hardware="v100-32gb")) == []
    assert codes(run(tmp_path / "c", "v0.11.0", args, ["VLL304"], hardware="a10g")) == ["VLL304"]
    assert codes(run(tmp_path / "d", "v0.11.0", args, ["VLL304"])) == ["VLL304"]  # GPU unknown


def test_custom_code_in_a_local_model_folder_has_no_revision_to_pin(tmp_path):
    """--model /models/router, the team's own architecture mounted from the project: the flag is needed, and once
    given there is no --revision to pin (the Hub repository's case stays a warning: test above)."""
    config = {**json.loads((FIXTURES / "Qwen" / "Qwen3-8B" / "config.json").read_text()),
              "architectures": ["AcmeRouterForCausalLM"], "model_type": "acme_router",
              "auto_map": {"AutoConfig": "configuration_acme.AcmeRouterConfig"}}
    files = {"models/router/config.json": json.dumps(config), "models/router/configuration_acme.py": "X = 1\n"}
    mount = "    volumes: [\"./models/router:/models/router:ro\"]\n"
    [f] = run(tmp_path / "a", "v0.11.0", ["--model", "/models/router"], ["VLL310"], extra=mount, files=files).findings
    assert f.severity == "error" and "Failed to load the model config" in f.message
    assert f.hint == "review the folder's code, then --trust-remote-code"
    given = ["--model", "/models/router", "--trust-remote-code"]
    assert codes(run(tmp_path / "b", "v0.11.0", given, ["VLL310"], extra=mount, files=files)) == []
