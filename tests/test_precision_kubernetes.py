"""Kubernetes containers are not compose: ``$VAR`` in ``sh -c`` scripts belongs to the container's shell,
``$(VAR)`` in command/args to the kubelet, both resolved from ``env:`` (values, ConfigMaps and Secrets of
the same file or folder); what comes from the cluster is unknown, never empty, and never validated as a
literal. Scripts expand the variables they assign; ``"$@"`` and friends are forwarded arguments."""
import textwrap

from vllm_lint.config import Settings
from vllm_lint.engine import check, load_project, select_rules


def lint(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    settings = Settings()
    settings.offline = True
    project = load_project([tmp_path], settings, cwd=tmp_path)
    return project, check(project, select_rules(settings))


def codes(result):
    return [f.code for f in result.findings]


CONFIGMAP = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: vllm-config}
    data:
      MAX_MODEL_LEN: "8192"
      MODEL_NAME: Qwen/Qwen3-8B
    """

SHELL_DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: vllm}
    spec:
      template:
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:v0.11.0
              env:
                - name: MAX_MODEL_LEN
                  valueFrom: {configMapKeyRef: {name: vllm-config, key: MAX_MODEL_LEN}}
                - name: TP
                  valueFrom: {configMapKeyRef: {name: only-in-the-cluster, key: TP}}
                - {name: GMU, value: "0.9"}
              command: ["/bin/bash", "-c"]
              args:
                - |
                  MODEL=${MODEL_NAME:-Qwen/Qwen3-8B}
                  vllm serve $MODEL --max-model-len $MAX_MODEL_LEN --tensor-parallel-size $TP --gpu-memory-utilization $GMU $EXTRA_ARGS
    """


def test_shell_variables_of_a_container_are_not_compose_variables(tmp_path):
    project, result = lint(tmp_path, {"cm.yaml": CONFIGMAP, "deploy.yaml": SHELL_DEPLOYMENT})
    assert codes(result) == []  # before: VLL101 "compose substitutes an empty string" per variable, VLL201 on $EXTRA_ARGS
    d = project.deployments[0]
    assert d.model == "Qwen/Qwen3-8B"  # the script's own assignment, with its default
    assert d.value("max-model-len") == "8192"  # env -> ConfigMap in another file of the folder
    assert d.value("gpu-memory-utilization") == "0.9"
    assert d.runtime_values == ["TP", "EXTRA_ARGS"]
    assert any("set at run time, not checked: TP, EXTRA_ARGS" in n for n in project.notes)


def test_known_shell_values_are_still_checked(tmp_path):
    bad = SHELL_DEPLOYMENT.replace('{name: GMU, value: "0.9"}', '{name: GMU, value: "ninety"}')
    _, result = lint(tmp_path, {"cm.yaml": CONFIGMAP, "deploy.yaml": bad})
    assert codes(result) == ["VLL202"] and "ninety" in result.findings[0].message


KUBELET_ARGS = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: vllm}
    spec:
      template:
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:v0.11.0
              env:
                - {name: MAX_MODEL_LEN, valueFrom: {configMapKeyRef: {name: vllm-config, key: MAX_MODEL_LEN}}}
                - {name: SEQS, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: KEY, valueFrom: {secretKeyRef: {name: vllm-secret, key: api-key}}}
              args: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "$(MAX_MODEL_LEN)", "--max-num-seqs", "$(SEQS)",
                     "--max-num-batched-tokens", "$(BATCH)"]
    """


def test_kubelet_expansion_from_env_configmaps_and_the_unknown(tmp_path):
    project, result = lint(tmp_path, {"all.yaml": CONFIGMAP + "---\n" + KUBELET_ARGS})
    assert codes(result) == []  # before: VLL202 "invalid int value: '$(SEQS)'"
    d = project.deployments[0]
    assert d.value("max-model-len") == "8192"
    assert d.runtime_values == ["SEQS", "BATCH"]


def test_kubelet_literal_values_are_checked(tmp_path):
    bad = KUBELET_ARGS.replace('"$(BATCH)"', '"lots"')
    _, result = lint(tmp_path, {"cm.yaml": CONFIGMAP, "deploy.yaml": bad})
    assert codes(result) == ["VLL202"] and "'lots'" in result.findings[0].message


def test_secret_values_resolve_from_the_tree(tmp_path):
    secret = """\
        apiVersion: v1
        kind: Secret
        metadata: {name: lengths}
        stringData: {LEN: "4096"}
        """
    deploy = KUBELET_ARGS.replace("configMapKeyRef: {name: vllm-config, key: MAX_MODEL_LEN}",
                                  "secretKeyRef: {name: lengths, key: LEN}")
    project, _ = lint(tmp_path, {"secret.yaml": secret, "deploy.yaml": deploy})
    assert project.deployments[0].value("max-model-len") == "4096"


def test_scripts_expand_their_own_assignments_and_forward_the_rest(tmp_path):
    project, result = lint(tmp_path, {"serve.sh": """\
        #!/bin/bash
        MODEL=Qwen/Qwen3-8B
        export MAX_LEN=${MAX_LEN:-16384}
        vllm serve "$MODEL" --max-model-len "$MAX_LEN" --port "$PORT" "$@"
        """})
    assert codes(result) == []  # before: VLL201 "unexpected positional argument '$@'"
    d = project.deployments[0]
    assert d.model == "Qwen/Qwen3-8B" and d.value("max-model-len") == "16384"
    assert d.runtime_values == ["PORT", "$@"]


def test_script_values_from_assignments_are_checked(tmp_path):
    _, result = lint(tmp_path, {"serve.sh": """\
        MAX_LEN=16k-tokens
        vllm serve Qwen/Qwen3-8B --max-model-len $MAX_LEN
        """})
    assert codes(result) == ["VLL202"]


def test_array_expansion_is_followed(tmp_path):  # issue 14: an array the script assigns is expanded, not forwarded
    project, result = lint(tmp_path, {"serve.sh": 'ARGS=(--max-model-len 8192)\nvllm serve Qwen/Qwen3-8B "${ARGS[@]}"\n'})
    assert codes(result) == []
    d = project.deployments[0]
    assert d.runtime_values == [] and d.value("max-model-len") == "8192"
    assert (d.arg("max-model-len").value_span.line, d.arg("max-model-len").value_span.column) == (1, 23)


# -- class 3: the lint host is not the serving host ------------------------------------------------------

def test_model_paths_on_the_serving_host_are_unknown_not_missing(tmp_path):
    project, result = lint(tmp_path, {
        "serve.sh": "vllm serve /models/qwen3 --max-model-len 8192\n",
        "rel.sh": "vllm serve ./gemma-3-27b-it-W4A16\n",
        "win/compose.yaml": """\
            services:
              vllm:
                image: vllm/vllm-openai:v0.11.0
                command: ["/models/qwen", "--max-model-len", "4096"]
                volumes: ["d:/models:/models", "${MODEL_HOST_PATH}:/cache"]
            """,
        "unset/compose.yaml": """\
            services:
              vllm:
                image: vllm/vllm-openai:v0.11.0
                command: ["/cache/qwen"]
                volumes: ["${MODEL_HOST_PATH}:/cache"]
            """,
        "k8s.yaml": """\
            apiVersion: v1
            kind: Pod
            metadata: {name: vllm}
            spec:
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: ["--model", "/models/Qwen3-32B"]
                  volumeMounts: [{name: m, mountPath: /models}]
              volumes: [{name: m, hostPath: {path: /data01/models}}]
            """,
    })
    assert "VLL301" not in codes(result)  # before: "the folder ... does not exist on this host" for each
    assert not project.models


def test_a_model_folder_in_the_tree_is_read_and_an_unmounted_one_reported(tmp_path):
    folder = tmp_path / "models" / "tiny"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}')
    project, result = lint(tmp_path, {"compose.yaml": """\
        services:
          read:
            image: vllm/vllm-openai:v0.11.0
            command: ["/models/tiny"]
            volumes: ["./models:/models"]
          missing:
            image: vllm/vllm-openai:v0.11.0
            command: ["/opt/models/tiny"]
        """})
    read = next(d for d in project.deployments if d.name == "read")
    assert project.models[id(read)].architectures == ["LlamaForCausalLM"]
    assert [(f.code, f.deployment) for f in result.findings if f.code == "VLL301"] == [("VLL301", "missing")]


# -- class 6: multi-node and data parallel GPU counts -------------------------------------------------------

LWS = """\
    apiVersion: leaderworkerset.x-k8s.io/v1
    kind: LeaderWorkerSet
    metadata: {name: vllm}
    spec:
      leaderWorkerTemplate:
        size: SIZE
        leaderTemplate:
          spec:
            containers:
              - name: leader
                image: vllm/vllm-openai:v0.11.0
                args: ["Qwen/Qwen3-8B", "--tensor-parallel-size", "8", "--pipeline-parallel-size", "2"]
                resources: {limits: {nvidia.com/gpu: "8"}}
    """


def test_a_leaderworkerset_group_has_the_gpus_of_its_pods(tmp_path):
    _, good = lint(tmp_path / "good", {"lws.yaml": LWS.replace("SIZE", "2")})
    assert "VLL107" not in codes(good)  # before: "tensor 8 x pipeline 2 needs 16 GPUs, but the launch is given 8"
    _, bad = lint(tmp_path / "bad", {"lws.yaml": LWS.replace("SIZE", "1")})
    assert codes(bad).count("VLL107") == 1


def test_data_parallel_local_ranks_and_unknown_sizes(tmp_path):
    pod = """\
        apiVersion: v1
        kind: Pod
        metadata: {name: dp}
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:v0.11.0
              env: [{name: TP, valueFrom: {configMapKeyRef: {name: elsewhere, key: tp}}}]
              command: ["sh", "-c", "vllm serve Qwen/Qwen3-8B --data-parallel-size 4 --data-parallel-size-local 2 ARGS"]
              resources: {limits: {nvidia.com/gpu: "2"}}
        """
    _, local = lint(tmp_path / "local", {"p.yaml": pod.replace(" ARGS", "")})
    assert "VLL107" not in codes(local)  # 2 local ranks on 2 GPUs; before: "data 4 needs 4 GPUs, given 2"
    _, unknown = lint(tmp_path / "unknown", {"p.yaml": pod.replace("ARGS", "--tensor-parallel-size $TP")})
    assert "VLL107" not in codes(unknown)
    _, bad = lint(tmp_path / "bad", {"p.yaml": pod.replace("--data-parallel-size-local 2 ARGS", "")})
    assert codes(bad).count("VLL107") == 1


def test_secret_from_one_variable_is_not_attributed_to_another_option(tmp_path):
    _, result = lint(tmp_path, {
        ".env": "MODEL_ID=Qwen/Qwen2.5-1.5B-Instruct-abcdefgh\nVLLM_API_KEY=sk-3f9a8b7c6d5e4f3a2b1c\n",
        "compose.yaml": """\
            services:
              vllm:
                image: vllm/vllm-openai:v0.11.0
                entrypoint: /bin/bash
                command: -c "vllm serve ${MODEL_ID} --api-key ${VLLM_API_KEY}"
            """})
    keys = [f for f in result.findings if f.code == "VLL106"]
    assert [(f.span.path.endswith(".env"), f.span.line) for f in keys] == [(True, 2)]  # before: MODEL_ID too


def test_another_tools_config_sharing_vllm_option_names_is_not_a_vllm_config(tmp_path):
    worker = ("model: Qwen/Qwen3-8B\nmax-model-len: 8192\nenforce-eager: false\n"
              "vllm-release: v2.24.0\n")  # a serverless worker's settings: one key vLLM does not know
    project, result = lint(tmp_path, {"configs/qwen.yaml": worker, "vllm.yaml": worker})
    assert [d.path for d in project.deployments] == ["vllm.yaml"]  # named for vLLM: most keys suffice
    assert [f.code for f in result.findings if f.span.path == "configs/qwen.yaml"] == []


def test_the_legacy_api_server_is_named_as_such(tmp_path):
    _, result = lint(tmp_path, {"run.sh": "python -m vllm.entrypoints.api_server Qwen/Qwen3-8B --port 8000\n"})
    [f] = [f for f in result.findings if f.code == "VLL201"]
    assert "legacy demo server" in f.message and "-m is not an option" not in f.message


def test_colon_equals_defaults_assign(tmp_path):
    project, _ = lint(tmp_path, {"serve.sh": ': "${LEN:=4096}"\nvllm serve Qwen/Qwen3-8B --max-model-len "$LEN"\n'})
    assert project.deployments[0].value("max-model-len") == "4096"
