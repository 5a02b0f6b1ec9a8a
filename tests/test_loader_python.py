"""Python launchers (loaders/python_launcher.py): LLM(...) / EngineArgs(...) read with ast, never executed."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import python_launcher
from vllm_lint.loaders.context import LoadContext
from vllm_lint.sources.discover import classify

PROGRAM = '''
import os
from vllm import LLM, SamplingParams
from vllm.engine.arg_utils import AsyncEngineArgs as Args

llm = LLM("Qwen/Qwen3-8B", tensor_parallel_size=2, max_model_len=16384, enforce_eager=True,
          limit_mm_per_prompt={"image": 0}, gpu_memory_utilization=float(os.environ["GMU"]))
args = Args(model="Qwen/Qwen3-0.6B", enable_prefix_caching=False, **extra)
never = LLM  # not a call
'''


def load(tmp_path, text, name="serve.py"):
    write(tmp_path, {name: text})
    ctx = LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())
    return python_launcher.load(tmp_path / name, ctx)


def test_found_only_in_files_that_import_vllm(tmp_path):
    write(tmp_path, {"a.py": PROGRAM, "b.py": "class LLM: pass\nLLM(model='x')\n"})
    assert classify(tmp_path / "a.py", (tmp_path / "a.py").read_text()) == "format:python"
    assert classify(tmp_path / "b.py", (tmp_path / "b.py").read_text()) is None


def test_keywords_become_options(tmp_path):
    llm, engine = load(tmp_path, PROGRAM)
    assert llm.source_format == "python" and llm.name == "LLM() line 5"
    assert llm.model == "Qwen/Qwen3-8B" and llm.tensor_parallel == 2 and llm.value("max-model-len") == "16384"
    assert llm.flag_set("enforce-eager") and llm.value("limit-mm-per-prompt") == '{"image":0}'
    assert llm.unknown("gpu-memory-utilization")  # not a literal: known only at run time
    assert llm.arg("max-model-len").flag_span.line == 5 and llm.arg("max-model-len").value_span.column == 66
    assert engine.model == "Qwen/Qwen3-0.6B" and engine.arg("enable-prefix-caching").negated
    assert engine.runtime_values == ["**extra"]


def test_version_from_requirements_and_rules(tmp_path):
    write(tmp_path, {"requirements.txt": "vllm==0.10.2\n"})
    [d] = load(tmp_path, "from vllm import LLM\nLLM(model='Qwen/Qwen3-8B', no_such_option=1)\n")
    assert d.version == "0.10.2"
    result = lint(tmp_path)
    assert [f.span.line for f in result.findings if f.code == "VLL201"] == [2]


def test_unparsable_program_is_reported(tmp_path):
    assert "VLL001" in codes(lint(tmp_path, {"bad.py": "from vllm import LLM\nLLM(model='x'\n"}))
