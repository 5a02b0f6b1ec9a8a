"""Issue 14: Kubernetes manifests filled in by envsubst before ``kubectl apply`` (``vllm.yaml.tpl``, ``${VAR}`` /
``$VAR``) are read as Kubernetes with the variables left unknown: a ``${VAR}`` value is never checked as written,
a line that is only ``${ARGS}`` stands for arguments given at deploy time, and the other documents and values are
read as usual. Go/Jinja templates stay set aside."""
from conftest import codes, lint

from vllm_lint.loaders import envsubst

MANIFEST = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: vllm-inference
    spec:
      template:
        spec:
          containers:
            - name: vllm
              image: ${IMAGE_NAME}
              resources:
                limits:
    ${RESOURCE_LIMITS}
                  memory: "64Gi"
              env:
                - name: HF_HOME
                  value: /models
    ${ENV_VARS}
              command:
                - "python3"
                - "-m"
                - "vllm.entrypoints.openai.api_server"
                - "--port"
                - "8000"
    ${ARGS}
          nodeSelector:
    ${NODE_SELECTOR}
    """


def test_whole_line_placeholders_are_unknown_arguments_environment_and_resources(tmp_path):
    result = lint(tmp_path, {"k8s/vllm-deployment.yaml.tpl": MANIFEST})
    [d] = result.project.deployments
    assert (d.kind, d.name, d.path, d.launcher) == ("kubernetes", "Deployment/vllm-inference/vllm",
                                                   "k8s/vllm-deployment.yaml.tpl", "api_server")
    assert d.image == "${IMAGE_NAME}" and d.model is None and d.value("port") == "8000"
    # ${ARGS} is a forwarded word: the model and the rest come with it, nothing is reported missing
    assert "ARGS" in d.runtime_values
    assert "ENV_VARS (environment entries)" in d.runtime_values and "RESOURCE_LIMITS (resources)" in d.runtime_values
    [gpu] = d.gpus
    assert gpu.count is None and gpu.span.line == 13  # the GPUs are among what envsubst writes under limits:
    assert d.env["HF_HOME"].value == "/models"
    assert codes(result) == []
    assert not result.project.launchless  # no "no launch found"


def test_a_variable_in_a_value_is_never_checked_as_written(tmp_path):
    files = {"deploy/vllm.yaml.tmpl": """\
        apiVersion: v1
        kind: Pod
        metadata: {name: vllm}
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:v0.10.2
              args: ["--model", "$MODEL", "--max-model-len", "${MAX_LEN}", "--tensor-parallel-size", "2"]
              resources: {limits: {nvidia.com/gpu: "${GPUS}"}}
        """}
    [d] = lint(tmp_path, files).project.deployments
    assert d.unknown("model") and d.unknown("max-model-len") and not d.unknown("tensor-parallel-size")
    assert d.tensor_parallel == 2 and d.version == "0.10.2"
    assert [g.count for g in d.gpus] == [None]  # ${GPUS}: not "must be a whole number"
    assert {"MODEL", "MAX_LEN"} <= set(d.runtime_values)


def test_a_template_without_variables_is_read_and_checked(tmp_path):
    # a .yaml.tpl that envsubst leaves as it is: checked like any manifest (a misspelled option is reported)
    result = lint(tmp_path, {"k8s/reasoning.yaml.tpl": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: vllm-reasoning}
        spec:
          template:
            spec:
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.10.2
                  args: ["--model", "Qwen/Qwen3-8B", "--max-model-length", "8192"]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: vllm-reasoning}
        spec: {ports: [{port: 8000}]}
        """})
    [d] = result.project.deployments
    assert d.model == "Qwen/Qwen3-8B"
    assert codes(result) == ["VLL201"]


def test_go_and_jinja_templates_stay_set_aside_with_a_note(tmp_path):
    result = lint(tmp_path, {
        "k8s/vllm.yaml.tpl": ("apiVersion: v1\nkind: Pod\nmetadata: {name: {{ .Values.name }}}\nspec:\n  containers:\n"
                              "    - {name: vllm, image: vllm/vllm-openai:v0.10.2, args: [\"--model\", \"{{ .Values.model }}\"]}\n"),
        "k8s/other.yaml.j2": "apiVersion: v1\nkind: Pod\n{% if vllm %}metadata: {name: x}{% endif %}\n"})
    assert result.project.deployments == []
    assert any("Helm template" in n for n in result.project.notes)


def test_an_unreadable_template_says_why_and_keeps_the_other_documents(tmp_path):
    result = lint(tmp_path, {"k8s/bad.yaml.tpl": """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cfg}
        data: {a: "b"
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: vllm}
        spec:
          containers:
            - name: vllm
              image: ${IMAGE}
              command: ["vllm", "serve", "$MODEL"]
        """})
    [d] = result.project.deployments  # the broken ConfigMap drops only itself
    assert d.unknown("model")
    [problem] = [p for f in result.project.files for p in f.problems if p.kind == "unreadable"]
    assert problem.span.path == "k8s/bad.yaml.tpl"


def test_masking_keeps_every_offset():
    text = "a:\n  b: 1\n${X}\n  c: $Y\n    $Z   \n"
    masked, found = envsubst.mask(text)
    assert len(masked) == len(text) and masked.count("\n") == text.count("\n")
    assert [(p.line, p.column, p.name) for p in found] == [(3, 1, "X"), (5, 5, "Z")]
    assert "c: $Y" in masked  # a variable inside a value is YAML already: kept
    assert envsubst.is_template_name("vllm.yaml.tpl") and not envsubst.is_template_name("vllm.tpl")


def test_a_plain_manifest_with_a_templated_image_masks_only_what_breaks_its_yaml(tmp_path):
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: vllm}\nspec:\n  containers:\n    - name: vllm\n"
           "      image: ${VLLM_IMAGE}\n")
    script = pod + '      command: ["/bin/sh", "-c"]\n      args:\n        - |\n          pip install vllm==0.10.2\n' \
                   "          vllm serve Qwen/Qwen3-8B \\\n            $EXTRA\n"
    [d] = lint(tmp_path / "a", {"k8s/pod.yaml": script}).project.deployments  # valid YAML: $EXTRA is the script's
    assert d.model == "Qwen/Qwen3-8B" and d.version == "0.10.2"
    broken = pod + '      args: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "8192"]\n${EXTRA_CONTAINER_FIELDS}\n'
    result = lint(tmp_path / "b", {"k8s/pod.yaml": broken})
    [d] = result.project.deployments  # the ${...} line would make the file unreadable: masked
    assert d.model == "Qwen/Qwen3-8B" and not [p for f in result.project.files for p in f.problems]
