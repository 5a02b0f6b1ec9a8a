"""Issue 14: launches inside the strings and wrappers scripts use — ``bash -c "…"``, ``sh -c '…'``,
``setsid``, ``nohup``, ``pm2 start "…"``, ``tmux new -d "…"``, ``screen -dm …``, ``$PYTHON -m
vllm.entrypoints…``, here-documents that a shell runs."""
from conftest import codes, lint


def models(result):
    return [(d.span.line, d.model, d.tensor_parallel, d.value("port")) for d in result.project.deployments]


def test_shell_strings(tmp_path):
    result = lint(tmp_path, {"run.sh": """\
        #!/bin/bash
        bash -c "vllm serve Qwen/Qwen3-8B --tensor-parallel-size 2 --port 8000"
        sh -c 'vllm serve Qwen/Qwen3-0.6B --port 8001'
        bash -exc "pip install vllm==0.10.2 && vllm serve Qwen/Qwen3-0.6B --port 8002"
        """})
    assert models(result) == [(2, "Qwen/Qwen3-8B", 2, "8000"), (3, "Qwen/Qwen3-0.6B", 1, "8001"), (4, "Qwen/Qwen3-0.6B", 1, "8002")]
    d = result.project.deployments[0]
    assert (d.arg("port").value_span.line, d.arg("port").value_span.column) == (2, 67)  # the word inside the string
    assert d.via == "bash -c"


def test_wrappers_multiplexers_and_process_managers(tmp_path):
    result = lint(tmp_path, {"start.sh": """\
        #!/bin/bash
        nohup vllm serve Qwen/Qwen3-8B --port 8000 --tensor-parallel-size 2 > chat.log 2>&1 &
        tmux new -d -s embed "vllm serve Qwen/Qwen3-0.6B --port 8001"
        screen -dmS rerank vllm serve Qwen/Qwen3-0.6B --port 8002
        pm2 start --name code "vllm serve Qwen/Qwen3-8B --port 8003 --max-model-len 8192"
        pm2 start vllm --name chat2 -- serve Qwen/Qwen3-8B --port 8004
        timeout 3600 nice -n 5 env VLLM_LOGGING_LEVEL=DEBUG vllm serve Qwen/Qwen3-8B --port 8005
        """})
    assert [m[3] for m in models(result)] == ["8000", "8001", "8002", "8003", "8004", "8005"]
    assert result.project.deployments[-1].env["VLLM_LOGGING_LEVEL"].value == "DEBUG"
    assert codes(result) == []


def test_setsid_bash_c_with_python_from_a_variable(tmp_path):
    result = lint(tmp_path, {"start.sh": """\
        #!/bin/bash
        PYTHON=/opt/acme/venv/bin/python
        setsid bash -c "CUDA_VISIBLE_DEVICES=0 $PYTHON -m vllm.entrypoints.openai.api_server --model Qwen/Qwen3-8B --port 8000" > /tmp/acme.log 2>&1 &
        """})
    [d] = result.project.deployments
    assert d.launcher == "api_server" and d.model == "Qwen/Qwen3-8B" and d.env["CUDA_VISIBLE_DEVICES"].value == "0"
    assert (d.span.line, d.span.column) == (3, 40)  # $PYTHON, where the launcher starts


def test_commands_that_only_name_vllm_are_not_launches(tmp_path):
    result = lint(tmp_path, {"run.sh": """\
        echo vllm serve Qwen/Qwen3-8B
        echo "Server command: vllm serve Qwen/Qwen3-8B"
        pkill -f "vllm serve"
        grep -q "vllm serve" /proc/1/cmdline
        log "bash -c vllm serve Qwen/Qwen3-8B"
        """})
    assert result.project.deployments == []


def test_heredocs_a_shell_runs_are_read_and_the_others_are_data(tmp_path):
    result = lint(tmp_path, {"deploy.sh": """\
        #!/bin/bash
        MODEL=Qwen/Qwen3-8B
        ssh gpu-host <<EOF
        vllm serve $MODEL --port 8000
        EOF
        python - <<'EOF'
        print("vllm serve is what it's about")
        EOF
        cat > start.sh <<'EOF'
        vllm serve Qwen/Qwen3-0.6B --port 8001
        EOF
        """})
    assert models(result) == [(4, "Qwen/Qwen3-8B", 1, "8000"), (10, "Qwen/Qwen3-0.6B", 1, "8001")]
    assert codes(result) == []


def test_a_string_whose_quote_never_closes(tmp_path):
    result = lint(tmp_path, {"run.sh": "bash -c \"vllm serve Qwen/Qwen3-8B --port 8000\n"})
    assert "VLL001" in codes(result)


def test_a_bad_option_inside_a_string_is_found(tmp_path):
    result = lint(tmp_path, {"run.sh": "tmux new -d \"vllm serve Qwen/Qwen3-8B --max-model-length 8192\"\n"})
    [f] = result.findings
    assert (f.code, f.span.line, f.span.column) == ("VLL201", 1, 39)
