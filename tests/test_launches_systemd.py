"""Issue 14: systemd units — ``ExecStart=`` (prefixes, continuations, ``bash -c``), ``Environment=``,
``EnvironmentFile=`` (read when it is in the tree, unknown when it is not); a unit whose ExecStart runs a
script adds no launch of its own."""
from conftest import codes, lint

UNIT = """\
[Unit]
Description=acme vLLM server
After=network-online.target

[Service]
Environment=VLLM_LOGGING_LEVEL=INFO "PORT=8000"
EnvironmentFile=-/etc/acme/vllm.env
ExecStart=/opt/acme/venv/bin/vllm serve Qwen/Qwen3-8B \\
    --tensor-parallel-size 2 --port ${PORT} --max-model-len $MAX_LEN
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def test_exec_start_with_the_units_environment(tmp_path):
    result = lint(tmp_path, {"acme-vllm.service": UNIT})
    [d] = result.project.deployments
    assert (d.kind, d.name, d.model, d.tensor_parallel, d.value("port")) == ("script", "ExecStart (line 8)", "Qwen/Qwen3-8B", 2, "8000")
    assert d.env["VLLM_LOGGING_LEVEL"].value == "INFO" and d.env["VLLM_LOGGING_LEVEL"].span.line == 6
    assert d.unknown("max-model-len")  # from /etc/acme/vllm.env, not in the tree
    assert (d.arg("tensor-parallel-size").value_span.line, d.arg("tensor-parallel-size").value_span.column) == (9, 28)
    assert codes(result) == []


def test_environment_file_in_the_tree_and_bash_c(tmp_path):
    result = lint(tmp_path, {"vllm.env": "MAX_LEN=40000000\n", "u.service": (
        "[Service]\nEnvironmentFile=vllm.env\n"
        "ExecStart=-/bin/bash -lc 'exec vllm serve Qwen/Qwen3-8B --max-model-len ${MAX_LEN}'\n")})
    [d] = result.project.deployments
    assert d.value("max-model-len") == "40000000" and d.via == "bash -c"


def test_a_unit_that_runs_a_script(tmp_path):
    result = lint(tmp_path, {"acme-vllm.service": "[Service]\nExecStart=/opt/acme/serve.sh\n",
                             "serve.sh": "#!/bin/bash\nexec vllm serve Qwen/Qwen3-8B --port 8000\n"})
    [d] = result.project.deployments  # the script's: the unit adds none
    assert d.path == "serve.sh"


def test_a_bad_option_in_exec_start(tmp_path):
    result = lint(tmp_path, {"u.service": "[Service]\nExecStart=/usr/bin/vllm serve Qwen/Qwen3-8B --max-model-length 8192\n"})
    [f] = result.findings
    assert (f.code, f.span.line, f.span.column) == ("VLL201", 2, 45)
