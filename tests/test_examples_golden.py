"""The findings on each example are pinned. After a deliberate change, regenerate with
``VLLM_LINT_UPDATE_GOLDEN=1 python -m pytest tests/test_examples_golden.py`` and review the diff."""
import json
import os

import pytest
from conftest import DATA, EXAMPLES

from vllm_lint import config
from vllm_lint.engine import check, load_project, select_rules

EXAMPLE_DIRS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith("."))


def findings_of(name):
    settings = config.load(config.find_config(EXAMPLES / name))  # its own (field-startup: a T4 box), else examples/'s
    settings.offline = True
    project = load_project([EXAMPLES / name], settings, cwd=EXAMPLES)
    result = check(project, select_rules(settings))
    assert not result.internal_errors, result.internal_errors
    return [f"{f.span.path}:{f.span.line}:{f.span.column}: {f.code} {f.message}" for f in result.findings]


@pytest.mark.parametrize("name", EXAMPLE_DIRS)
def test_golden(name):
    golden = DATA / "golden" / f"{name}.json"
    found = findings_of(name)
    if os.environ.get("VLLM_LINT_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    assert found == json.loads(golden.read_text())


def test_clean_example_has_no_finding():
    assert findings_of("clean") == []
