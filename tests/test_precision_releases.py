"""Issue 13, classes 5, 7, 9 (first half) and 11, and VLL309's "1-5b": what vLLM itself does.

- 5: the length vLLM uses when --max-model-len is not given is its own derived one
  (``original_max_position_embeddings`` × the YaRN factor: 131072 for gpt-oss, not 4,194,304).
- 7: every published release is a release (``v0.10.1.1``, rc tags, ``v0.6.1-<sha>``); a release without
  tables of its own is not judged where the releases around it differ; a fact's first release is never
  earlier than the knowledge; what rests only on the assumed newest release says so and is a warning.
- 9: a ``--config`` file's ``key: false`` is what the release's loader makes of it (dropped, ``--no-key``,
  or ``--key False`` in 0.6.0 to 0.6.3), never "unrecognized arguments: false".
- 11: parser names that a ``--tool-parser-plugin`` / ``--reasoning-parser-plugin`` may register.
Each test lints a bad variant that must still fire and the good variants that stay quiet.
"""
import json

from conftest import lint, write

from vllm_lint.config import Settings

GPT_OSS = "openai/gpt-oss-20b"  # bundled snapshot: max_position_embeddings 131072, yarn factor 32 of 4096
QWEN3_8B = "Qwen/Qwen3-8B"


def compose(image: str, args: list[str], extra: str = "") -> dict:
    return {"docker-compose.yml": f"services:\n  llm:\n    image: {image}\n    command: {json.dumps(args)}\n{extra}"}


GPU1 = "    deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}}}\n"


def run(tmp_path, image, args, select, *, extra="", files=None, **settings):
    write(tmp_path, {**compose(image, args, extra), **(files or {})})
    return lint(tmp_path, select=select, settings=Settings(root=tmp_path, offline=True, **settings))


def found(result, code=None):
    return [(f.code, f.severity, f.message) for f in result.findings if code is None or f.code == code]


# -- class 5: long-context models ------------------------------------------------------------------


def test_gpt_oss_max_len_is_vllms_derived_length(tmp_path):
    """Corpus: Cloud-Linuxer and fabric-testbed gpt-oss compose files, all 5 VLL402 false (4194304)."""
    bad = found(run(tmp_path / "bad", "vllm/vllm-openai:v0.11.0", [GPT_OSS, "--gpu-memory-utilization", "0.2"],
                    ["VLL402"], extra=GPU1, hardware="a100-80gb"))
    assert len(bad) == 1 and bad[0][1] == "error"
    assert "max seq len (131072)" in bad[0][2] and "4194304" not in bad[0][2] and "96.00 GiB" not in bad[0][2]
    for name, args in (("no-max-len", [GPT_OSS, "--gpu-memory-utilization", "0.6"]),
                       ("explicit", [GPT_OSS, "--gpu-memory-utilization", "0.3", "--max-model-len", "131072"])):
        assert found(run(tmp_path / name, "vllm/vllm-openai:v0.11.0", args, ["VLL402"], extra=GPU1,
                         hardware="a100-80gb")) == [], name
    # no rope scaling: unchanged by the fix (Qwen3-8B: 40960)
    qwen = found(run(tmp_path / "qwen", "vllm/vllm-openai:v0.11.0", [QWEN3_8B, "--gpu-memory-utilization", "0.25"],
                     ["VLL402"], extra=GPU1, hardware="a100-80gb"))
    assert len(qwen) == 1 and "max seq len (40960)" in qwen[0][2]


def test_the_estimate_and_the_context_rule_use_one_length():
    from vllm_lint.memory.inputs import Launch
    from vllm_lint.memory.kv_cache import max_len_of
    from vllm_lint.models.snapshot import load_snapshot
    from vllm_lint.vllm.context_length import derived_max_len

    meta = load_snapshot(GPT_OSS)
    assert max_len_of(meta, Launch())[0] == derived_max_len(meta)[0] == 131072
    assert max_len_of(meta, Launch(max_model_len=8192))[0] == 8192


# -- class 7: release mapping ----------------------------------------------------------------------


def test_image_tags_name_their_release():
    from vllm_lint.loaders.command import version_from_image, version_from_pip

    assert version_from_image("vllm/vllm-openai:v0.10.1.1") == "0.10.1.1"
    assert version_from_image("vllm/vllm-openai:v0.11.0rc2") == "0.11.0"
    assert version_from_image("aibrix/vllm-openai:v0.6.1-edb07092-20250118") == "0.6.1"
    assert version_from_image("vllm/vllm-openai:v0.6.1.post2") == "0.6.1.post2"
    assert version_from_image("vllm/vllm-openai:v0.11.0-cu128") == "0.11.0"
    # not vLLM releases: NGC's year.month, dates, moving tags
    for image in ("nvcr.io/nvidia/vllm:25.11-py3", "acme/vllm-openai:2025-03-01", "vllm/vllm-openai:latest"):
        assert version_from_image(image) is None, image
    assert version_from_pip("pip install vllm==0.10.1.1 transformers") == "0.10.1.1"
    assert version_from_pip("pip install 'vllm==0.11.0rc2'") == "0.11.0"


def test_release_without_tables_lies_between_the_releases_around_it():
    from vllm_lint.vllm.release import bracket, first_release_known, known_at, load_release, published_releases

    assert {"0.10.1", "0.10.1.1", "0.6.1", "0.6.1.post2", "0.11.1"} <= set(published_releases())
    r = load_release("v0.10.1.1")
    assert (r.name, r.version, r.upper, r.exact) == ("0.10.1.1", "0.10.0", "0.10.2", False)
    assert load_release("0.11.0rc2").name == "0.11.0" and load_release("0.11.0rc2").exact
    assert bracket("0.6.1", ["0.6.0", "0.6.4.post1"]) == ("0.6.0", "0.6.4.post1")
    assert known_at("0.6.1", ["0.6.0", "0.6.4.post1"], lambda v: v == "0.6.4.post1") is None
    assert known_at("0.6.1", ["0.6.0", "0.6.4.post1"], lambda v: True) is True
    assert first_release_known("0.11.0", ["0.10.2", "0.11.0"])  # 0.10.2 is the release before 0.11.0
    assert not first_release_known("0.10.2", ["0.10.0", "0.10.2"])  # 0.10.1 and 0.10.1.1 have no tables
    assert not first_release_known("0.6.0", ["0.6.0", "0.6.4.post1"])  # the oldest known, not the first
    assert load_release("0.6.0").history("--disable-fastapi-docs") == "in every release known from 0.6.4.post1"
    assert load_release("0.10.2").history("--enable-dbo") == "added in 0.11.0"


def test_post_release_serves_what_its_neighbours_disagree_on(tmp_path):
    """Corpus: Cloud-Linuxer docker-compose.{all,simple}.yml, v0.10.1.1 read as 0.10.0 (VLL305 false)."""
    args = ["--model", GPT_OSS, "--max-model-len", "32768"]
    assert found(run(tmp_path / "good", "vllm/vllm-openai:v0.10.1.1", args, ["VLL305"])) == []
    bad = found(run(tmp_path / "bad", "vllm/vllm-openai:v0.9.2", args, ["VLL305"]))
    assert len(bad) == 1 and bad[0][1] == "error"
    assert "vLLM 0.9.2 does not serve GptOssForCausalLM" in bad[0][2]
    assert "served in every release known from 0.10.2" in bad[0][2] and "first served in" not in bad[0][2]


def test_custom_tag_and_rc_tag(tmp_path):
    """Corpus: aibrix deployment-tp.yaml, aibrix/vllm-openai:v0.6.1-<sha> read as 0.6.0 (VLL201 false)."""
    quiet = [("vllm/vllm-openai:v0.6.1-1a2b3c4d-20250101", ["--model", QWEN3_8B, "--disable-fastapi-docs"]),
             ("vllm/vllm-openai:v0.11.0rc2", [QWEN3_8B, "--enable-dbo"])]
    for n, (image, args) in enumerate(quiet):
        assert found(run(tmp_path / f"good{n}", image, args, ["VLL201"])) == [], image
    old = found(run(tmp_path / "old", "vllm/vllm-openai:v0.6.0", ["--model", QWEN3_8B, "--disable-fastapi-docs"],
                    ["VLL201"]))
    assert old == [("VLL201", "error", ("--disable-fastapi-docs is not an option of vLLM 0.6.0: in every release "
                                        "known from 0.6.4.post1"))]
    before = found(run(tmp_path / "before", "vllm/vllm-openai:v0.10.2", [QWEN3_8B, "--enable-dbo"], ["VLL201"]))
    assert before == [("VLL201", "error", "--enable-dbo is not an option of vLLM 0.10.2: added in 0.11.0")]


def test_unpinned_release_is_an_assumption(tmp_path):
    """Corpus: Yuxi-Know run.sh --task/--device on unpinned launches: TRUE, kept as warnings that say so."""
    assumed = found(run(tmp_path / "latest", "vllm/vllm-openai:latest", ["Qwen/Qwen3-0.6B", "--task", "embed"],
                        ["VLL201"]))
    assert assumed == [("VLL201", "warning", ("--task is not an option of vLLM 0.33.0 (assumed: the image pins no "
                                              "release): removed in 0.13.0"))]
    pinned = found(run(tmp_path / "pinned", "vllm/vllm-openai:v0.13.0", ["Qwen/Qwen3-0.6B", "--task", "embed"],
                       ["VLL201"]))
    assert pinned == [("VLL201", "error", "--task is not an option of vLLM 0.13.0: removed in 0.13.0")]
    configured = found(run(tmp_path / "configured", "vllm/vllm-openai:latest", ["Qwen/Qwen3-0.6B", "--task", "embed"],
                           ["VLL201"], vllm_version="0.13.0"))
    assert [(c, s) for c, s, _ in configured] == [("VLL201", "error")] and "assumed" not in configured[0][2]
    # an option no release ever had is wrong whatever the release: still an error
    typo = found(run(tmp_path / "typo", "vllm/vllm-openai:latest", [QWEN3_8B, "--max-model-lenght", "8192"],
                     ["VLL201"]))
    assert [(c, s) for c, s, _ in typo] == [("VLL201", "error")]


def test_unpinned_value_accepted_by_older_releases_is_a_warning(tmp_path):
    """Corpus: production-stack gpu-deployment.yaml --compilation-config 3 on an unpinned image (DEBATABLE)."""
    args = [QWEN3_8B, "--compilation-config", "3"]
    assumed = found(run(tmp_path / "latest", "acme/vllm-openai:2025-03-01", args, ["VLL202"]))
    assert len(assumed) == 1 and assumed[0][1] == "warning"
    assert assumed[0][2].startswith("vLLM 0.33.0 (assumed: the image pins no release) rejects it:")
    pinned = found(run(tmp_path / "pinned", "vllm/vllm-openai:v0.33.0", args, ["VLL202"]))
    assert [(c, s) for c, s, _ in pinned] == [("VLL202", "error")]
    # no release accepts it: an error even on an assumed release
    never = found(run(tmp_path / "never", "vllm/vllm-openai:latest", [QWEN3_8B, "--max-num-seqs", "many"], ["VLL202"]))
    assert [(c, s) for c, s, _ in never] == [("VLL202", "error")]


def test_unpinned_architecture_removed_later_is_a_warning(tmp_path):
    config = json.dumps({"architectures": ["AquilaForCausalLM"], "model_type": "aquila", "hidden_size": 4096,
                         "num_attention_heads": 32, "num_hidden_layers": 32, "intermediate_size": 11008,
                         "vocab_size": 100008, "max_position_embeddings": 2048, "torch_dtype": "float16"})
    files = {"aquila/config.json": config}
    write(tmp_path, {**files, "serve.sh": "vllm serve ./aquila --max-model-len 2048\n",
                     "pinned/serve.sh": "pip install vllm==0.25.0\nvllm serve ../aquila --max-model-len 2048\n",
                     "old/serve.sh": "pip install vllm==0.24.0\nvllm serve ../aquila --max-model-len 2048\n"})
    result = lint(tmp_path, select=["VLL305"])
    by_path = {f.span.path: (f.severity, f.message) for f in result.findings}
    assert by_path["serve.sh"][0] == "warning"
    assert by_path["serve.sh"][1].startswith("vLLM 0.33.0 (assumed: the image pins no release) no longer serves "
                                             "AquilaForCausalLM")
    assert by_path["pinned/serve.sh"][0] == "error" and "removed in 0.25.0" in by_path["pinned/serve.sh"][1]
    assert "old/serve.sh" not in by_path


# -- class 9: booleans of --config files -------------------------------------------------------------

SERVE_YAML = "enforce_eager: false\nenforce-eager: false\nenable_prefix_caching: true\nnot_an_option: false\n"
CONFIG_MOUNT = '    volumes: ["./serve.yaml:/etc/vllm/serve.yaml:ro"]\n'


def test_config_file_false_is_dropped_not_unrecognized(tmp_path):
    """Corpus: bgeneto vllm_config.yaml:29 and runpod gemma4_31b_it.yaml:8, "unrecognized arguments: false"."""
    for image in ("vllm/vllm-openai:v0.11.0", "vllm/vllm-openai:v0.33.0", "vllm/vllm-openai:latest",
                  "vllm/vllm-openai:v0.6.4"):
        result = run(tmp_path / image.rsplit(":", 1)[1], image, [QWEN3_8B, "--config", "/etc/vllm/serve.yaml"],
                     ["VLL201", "VLL202"], extra=CONFIG_MOUNT, files={"serve.yaml": SERVE_YAML})
        assert found(result) == [], (image, found(result))
    # what vLLM does refuse: a true key no release has, a quoted "false" for a flag, and 0.6.0's loader
    bad = run(tmp_path / "bad", "vllm/vllm-openai:v0.11.0", [QWEN3_8B, "--config", "/etc/vllm/serve.yaml"],
              ["VLL201", "VLL202"], extra=CONFIG_MOUNT,
              files={"serve.yaml": 'not_an_option: true\nenforce_eager: "false"\n'})
    assert sorted((f.code, f.severity, f.span.line) for f in bad.findings) == [("VLL201", "error", 1),
                                                                               ("VLL202", "error", 2)]
    old = run(tmp_path / "old", "vllm/vllm-openai:v0.6.0", ["--model", QWEN3_8B, "--config", "/etc/vllm/serve.yaml"],
              ["VLL201", "VLL202"], extra=CONFIG_MOUNT, files={"serve.yaml": "enforce_eager: false\n"})
    assert found(old) == [("VLL202", "error", ("vLLM 0.6.0 rejects it: unrecognized arguments: False (its --config "
                                               "loader passes `enforce_eager: false` as --enforce_eager False)"))]


def test_config_bool_words_per_release():
    from vllm_lint.launch.deployment import Arg
    from vllm_lint.loaders.vllm_config import config_bool_words
    from vllm_lint.sources.span import Span
    from vllm_lint.vllm.release import load_release

    def words(key, truth, version):
        arg = Arg(key.replace("_", "-"), key, None, Span.point("c.yaml"), negated=not truth, origin="config")
        return config_bool_words(arg, load_release(version))

    assert words("enforce_eager", False, "0.6.0") == ["--enforce_eager", "False"]
    assert words("enforce_eager", True, "0.6.0") == ["--enforce_eager", "True"]
    assert words("enforce_eager", False, "0.11.0") == [] and words("enforce_eager", True, "0.11.0") == ["--enforce_eager"]
    assert words("enable_chunked_prefill", False, "0.8.0") == ["--enable_chunked_prefill", "False"]  # StoreBoolean
    assert words("enforce-eager", False, "0.33.0") == ["--no-enforce-eager"]  # registered as written
    assert words("enforce_eager", False, "0.33.0") == []  # --no-enforce_eager is not registered: dropped
    assert words("enforce_eager", False, "0.27.1") == []


# -- class 11: parser plugins -------------------------------------------------------------------------

PLUGIN_MOUNT = '    volumes: ["./plugins:/workspace/plugins:ro"]\n'
PLUGIN = ('from vllm.reasoning import ReasoningParser, ReasoningParserManager\n\n'
          '@ReasoningParserManager.register_module("nemotron_nano_v2")\nclass P(ReasoningParser):\n    pass\n')


def test_parser_names_a_plugin_registers(tmp_path):
    """Corpus: nob-git-dev vllm-nemotron-9b-nvfp4, parsers registered by mounted plugin files (VLL208 false)."""
    base = [QWEN3_8B, "--enable-auto-tool-choice"]
    plugins = base + ["--reasoning-parser-plugin", "/workspace/plugins/reasoning.py", "--reasoning-parser",
                      "nemotron_nano_v2", "--tool-parser-plugin", "/workspace/plugins/tools.py",
                      "--tool-call-parser", "nemotron_json"]
    # the plugin files are not in the tree: what they register is unknown
    assert found(run(tmp_path / "absent", "vllm/vllm-openai:v0.33.0", plugins, ["VLL208"], extra=PLUGIN_MOUNT)) == []
    # the plugin file is in the tree and registers the name
    readable = [QWEN3_8B, "--reasoning-parser-plugin", "/workspace/plugins/reasoning.py",
                "--reasoning-parser", "nemotron_nano_v2"]
    assert found(run(tmp_path / "read", "vllm/vllm-openai:v0.33.0", readable, ["VLL208"], extra=PLUGIN_MOUNT,
                     files={"plugins/reasoning.py": PLUGIN})) == []
    other = found(run(tmp_path / "other", "vllm/vllm-openai:v0.33.0", readable[:-1] + ["acme_reasoner"], ["VLL208"],
                      extra=PLUGIN_MOUNT, files={"plugins/reasoning.py": PLUGIN}))
    assert len(other) == 1 and other[0][1] == "warning" and "registers nemotron_nano_v2" in other[0][2]
    # no plugin (a --middleware is imported only after vLLM checks the names): still an error
    bad = found(run(tmp_path / "bad", "vllm/vllm-openai:v0.33.0",
                    base + ["--reasoning-parser", "nemotron_nano_v2", "--tool-call-parser", "nemotron_json",
                            "--middleware", "acme.middleware.Auth"], ["VLL208"]))
    assert [(c, s) for c, s, _ in bad] == [("VLL208", "error"), ("VLL208", "error")]


def test_tool_call_parser_is_checked_only_with_auto_tool_choice(tmp_path):
    without = found(run(tmp_path / "without", "vllm/vllm-openai:v0.33.0", [QWEN3_8B, "--tool-call-parser", "hermess"],
                        ["VLL208"]))
    assert len(without) == 1 and without[0][1] == "warning" and "--enable-auto-tool-choice" in without[0][2]
    with_auto = found(run(tmp_path / "with", "vllm/vllm-openai:v0.33.0",
                          [QWEN3_8B, "--enable-auto-tool-choice", "--tool-call-parser", "hermess"], ["VLL208"]))
    assert [(c, s) for c, s, _ in with_auto] == [("VLL208", "error")]


# -- VLL309: sizes written without a dot ---------------------------------------------------------------


def test_served_name_with_a_dashed_size(tmp_path):
    """Corpus: aibrix samples/adapter/base.yaml, qwen-coder-1-5b-instruct read as 5B (VLL309 false)."""
    model = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
    for n, served in enumerate(("qwen-coder-1-5b-instruct", "qwen2-5-coder-1-5b", "qwen2.5-coder-1.5b")):
        assert found(run(tmp_path / f"good{n}", "vllm/vllm-openai:v0.11.0",
                         ["--model", model, "--served-model-name", served], ["VLL309"])) == [], served
    assert found(run(tmp_path / "llama", "vllm/vllm-openai:v0.11.0",
                     ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--served-model-name", "llama-3-1-8b-instruct"],
                     ["VLL309"])) == []
    bad = found(run(tmp_path / "bad", "vllm/vllm-openai:v0.11.0",
                    ["--model", model, "--served-model-name", "qwen-coder-7b-instruct"], ["VLL309"]))
    assert bad == [("VLL309", "warning", f"--served-model-name qwen-coder-7b-instruct for {model}: size 7B vs 1.5B")]
