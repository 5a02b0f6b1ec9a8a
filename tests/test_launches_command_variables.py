"""Issue 14: commands assembled in variables and arrays, followed as far as a static reading goes —
``cmd="vllm serve $MODEL"; cmd+=" --tp 2"; eval "$cmd"``, ``bash -c "$server_command"``, ``ARGS=(…);
vllm serve "${ARGS[@]}"``, one launch per place a command is assigned (``if``/``else``), arguments only some
branches add left unknown, ``X=$(build_command)`` from a function's output."""
from conftest import codes, lint


def launches(result):
    return result.project.deployments


def test_cmd_appended_then_eval(tmp_path):
    result = lint(tmp_path, {"serve.sh": """\
        #!/bin/bash
        MODEL=Qwen/Qwen3-8B
        cmd="vllm serve $MODEL --port 8000"
        cmd+=" --tensor-parallel-size 2"
        eval "$cmd"
        """})
    [d] = launches(result)
    assert (d.model, d.tensor_parallel, d.value("port"), d.via) == ("Qwen/Qwen3-8B", 2, "8000", "eval → $cmd")
    assert (d.span.line, d.arg("port").value_span.line, d.arg("tensor-parallel-size").value_span.line) == (3, 3, 4)


def test_bash_c_of_a_variable_and_arrays(tmp_path):
    result = lint(tmp_path, {"bench.sh": """\
        #!/bin/bash
        server_command="python3 -m vllm.entrypoints.openai.api_server --model Qwen/Qwen3-0.6B --port 8001"
        echo "Server command: $server_command"
        bash -c "$server_command" &
        ARGS=(--max-model-len 8192
              --tensor-parallel-size 1)
        ARGS+=(--gpu-memory-utilization 0.8)
        vllm serve Qwen/Qwen3-8B --port 8002 "${ARGS[@]}"
        """})
    api, serve = launches(result)
    assert (api.launcher, api.model, api.value("port")) == ("api_server", "Qwen/Qwen3-0.6B", "8001")
    assert serve.value("max-model-len") == "8192" and serve.value("gpu-memory-utilization") == "0.8"
    assert serve.runtime_values == [] and serve.arg("max-model-len").value_span.line == 5
    assert codes(result) == []  # no VLL201 on '${ARGS[@]}'


def test_one_launch_per_assignment_and_branch_arguments_unknown(tmp_path):
    result = lint(tmp_path, {"launch.sh": """\
        #!/bin/bash
        model=$(echo "$1" | jq -r '.model')
        if [[ "$FP8" == 1 ]]; then
          server_command="python3 -m vllm.entrypoints.openai.api_server --model $model --quantization fp8"
        else
          server_command="python3 -m vllm.entrypoints.openai.api_server --model $model"
        fi
        if [[ -n "$LONG" ]]; then
          server_command+=" --max-model-len 131072"
        fi
        eval "$server_command" &
        """})
    fp8, plain = launches(result)
    assert (fp8.span.line, plain.span.line) == (4, 6)
    assert fp8.value("quantization") == "fp8" and plain.arg("quantization") is None
    assert fp8.unknown("model") and fp8.arg("max-model-len") is None  # appended in one branch only: not asserted
    assert "arguments only some if/case branches add" in fp8.runtime_values
    assert codes(result) == []


def test_values_that_differ_between_branches_are_unknown(tmp_path):
    result = lint(tmp_path, {"serve.sh": """\
        case "$1" in
          small) MODEL=Qwen/Qwen3-0.6B ;;
          big|large) MODEL=Qwen/Qwen3-32B ;;
        esac
        PORT=8000
        if [ -n "$ALT" ]; then PORT=8000; fi
        vllm serve "$MODEL" --port "$PORT"
        """})
    [d] = launches(result)
    assert d.unknown("model") and d.value("port") == "8000"


def test_a_command_built_by_a_function_and_captured(tmp_path):
    result = lint(tmp_path, {"deploy.sh": """\
        #!/bin/bash
        TP=2
        build_vllm_command() {
            local cmd="vllm serve Qwen/Qwen3-8B"
            cmd+=" --tensor-parallel-size $TP"
            if [[ -n "$MAX_LEN" ]]; then
                cmd+=" --max-model-len $MAX_LEN"
            fi
            echo "$cmd"
        }
        build_env() {
            echo "CUDA_VISIBLE_DEVICES=0,1 "
        }
        ENV_VARS=$(build_env)
        VLLM_CMD=$(build_vllm_command)
        eval "$ENV_VARS $VLLM_CMD"
        """})
    [d] = launches(result)
    assert (d.model, d.tensor_parallel, d.env["CUDA_VISIBLE_DEVICES"].value) == ("Qwen/Qwen3-8B", 2, "0,1")


def test_unknown_command_strings_are_not_guessed(tmp_path):
    result = lint(tmp_path, {"run.sh": 'CMD=$(cat /etc/acme/cmd)\neval "$CMD"\n$RUNNER vllm serve Qwen/Qwen3-8B --max-model-len "$LEN"\n'})
    [d] = launches(result)
    assert d.unknown("max-model-len") and codes(result) == []
