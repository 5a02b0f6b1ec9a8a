"""Discovery respects .gitignore and .ignore (pathspec, git's wildmatch); policy controls: inline suppressions
can be switched off; the configuration schema is published with a stable $id."""
import json
import subprocess
import sys

import jsonschema
import pytest
from conftest import lint, write

from vllm_lint.config import Settings, load, schema

COMPOSE = 'services:\n  llm:\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n'


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "vllm_lint", *args], check=False, capture_output=True, text=True, cwd=cwd)


def linted(result) -> set[str]:
    return {f.path for f in result.project.files}


# ----------------------------------------------------------------------------- .gitignore / .ignore


def test_gitignore_and_ignore_files_are_respected(tmp_path):
    write(tmp_path, {
        ".gitignore": "build/\n*.generated.yml\n/top-only.yml\n!keep.generated.yml\n",
        "build/compose.yaml": COMPOSE,
        "a.generated.yml": COMPOSE,
        "keep.generated.yml": COMPOSE,
        "top-only.yml": COMPOSE,
        "sub/top-only.yml": COMPOSE,  # anchored: only the top one
        "sub/.ignore": "local.yml\n",
        "sub/local.yml": COMPOSE,
        "sub/.gitignore": "!local.yml\n",  # .ignore decides before .gitignore in one folder
        "deep/.gitignore": "!*.generated.yml\n",  # a deeper file re-includes
        "deep/b.generated.yml": COMPOSE,
        "compose.yaml": COMPOSE,
    })
    found = linted(lint(tmp_path))
    assert found == {"compose.yaml", "keep.generated.yml", "sub/top-only.yml", "deep/b.generated.yml"}, found
    every = linted(lint(tmp_path, settings=Settings(root=tmp_path, offline=True, respect_gitignore=False)))
    assert {"build/compose.yaml", "a.generated.yml", "top-only.yml", "sub/local.yml"} <= every


def test_ignored_folders_are_not_entered_and_named_files_are_linted(tmp_path):
    write(tmp_path, {".gitignore": "vendor/\n", "vendor/compose.yaml": COMPOSE, "vendor/deep/.gitignore": "!compose.yaml\n",
                     "vendor/deep/compose.yaml": COMPOSE})
    assert linted(lint(tmp_path)) == set()  # git does not re-include below an ignored folder
    assert linted(lint(tmp_path, paths=["vendor/compose.yaml"])) == {"vendor/compose.yaml"}  # named: never ignored


def test_the_repository_root_and_info_exclude_apply_to_a_subfolder(tmp_path):
    (tmp_path / ".git" / "info").mkdir(parents=True)
    write(tmp_path, {".gitignore": "**/old/\n", ".git/info/exclude": "scratch.yml\n",
                     "profiles/old/compose.yaml": COMPOSE, "profiles/scratch.yml": COMPOSE, "profiles/compose.yaml": COMPOSE})
    result = lint(tmp_path, paths=["profiles"])
    assert linted(result) == {"profiles/compose.yaml"}


def test_gitignore_outside_a_repository_stops_at_the_folder_linted(tmp_path):
    write(tmp_path, {".gitignore": "*.yaml\n", "inner/compose.yaml": COMPOSE})
    assert linted(lint(tmp_path, paths=["inner"])) == {"inner/compose.yaml"}


def test_no_respect_gitignore_on_the_command_line_and_in_the_configuration(tmp_path):
    write(tmp_path, {".gitignore": "ignored/\n", "ignored/compose.yaml": COMPOSE})
    out = run(".", "--offline", cwd=tmp_path)  # nothing linted: only "no launch found" (VLL004)
    assert out.returncode == 1 and "VLL004" in out.stdout and "ignored/compose.yaml" not in out.stdout
    out = run(".", "--offline", "--no-respect-gitignore", cwd=tmp_path)
    assert out.returncode == 1 and "ignored/compose.yaml" in out.stdout
    write(tmp_path, {".vllm-lint.yaml": "respect-gitignore: false\n"})
    assert run(".", "--offline", cwd=tmp_path).returncode == 1
    assert "ignored/compose.yaml" not in run(".", "--offline", "--respect-gitignore", cwd=tmp_path).stdout


# ----------------------------------------------------------------------------- inline suppressions


SUPPRESSED = 'services:\n  llm:\n    image: vllm/vllm-openai:latest  # vllm-lint: disable=VLL102\n    command: ["m"]\n'


def test_inline_suppressions_can_be_ignored_and_are_reported(tmp_path):
    assert [f.code for f in lint(tmp_path, {"compose.yaml": SUPPRESSED}).findings] == []
    policy = Settings(root=tmp_path, offline=True, inline_suppressions=False)
    found = lint(tmp_path, settings=policy).findings
    assert sorted(f.code for f in found) == ["VLL003", "VLL102"]
    reported = next(f for f in found if f.code == "VLL003")
    assert reported.span.line == 3 and "VLL102" in reported.message and reported.severity == "info"


def test_no_inline_suppressions_flag_and_configuration(tmp_path):
    write(tmp_path, {"compose.yaml": SUPPRESSED})
    assert run(".", "--offline", cwd=tmp_path).returncode == 0
    out = run(".", "--offline", "--no-inline-suppressions", cwd=tmp_path)
    assert out.returncode == 1 and "VLL102" in out.stdout and "VLL003" in out.stdout
    write(tmp_path, {".vllm-lint.yaml": "inline-suppressions: false\n"})
    out = run(".", "--offline", cwd=tmp_path)
    assert out.returncode == 1 and "VLL003" in out.stdout
    assert load(tmp_path / ".vllm-lint.yaml").inline_suppressions is False


def test_an_unused_suppression_is_not_reported_as_unused_when_suppressions_are_off(tmp_path):
    text = 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0  # vllm-lint: disable=VLL102\n    command: ["m"]\n'
    found = lint(tmp_path, {"compose.yaml": text}, settings=Settings(root=tmp_path, offline=True, inline_suppressions=False))
    assert [f.code for f in found.findings] == ["VLL003"]


# ----------------------------------------------------------------------------- the configuration schema


def test_the_configuration_schema_is_published_with_a_stable_id():
    s = schema()
    assert s["$id"] == "https://raw.githubusercontent.com/vllm-lint/vllm-lint/main/linter/schemas/config.schema.json"
    jsonschema.Draft202012Validator.check_schema(s)
    for key in ("respect-gitignore", "inline-suppressions", "docs-url"):
        assert key in s["properties"]


def test_the_schema_id_is_this_repository_file_and_the_readme_names_it():
    """The $id is where the file itself is served from this repository (REPOSITORY_URL, branch main), and the
    README's modeline for `.vllm-lint.yaml` names exactly that URL."""
    from conftest import REPO

    from vllm_lint import REPOSITORY_URL

    sid = schema()["$id"]
    owner_name = REPOSITORY_URL.removeprefix("https://github.com/")
    prefix = f"https://raw.githubusercontent.com/{owner_name}/main/"
    assert sid.startswith(prefix) and (REPO / sid.removeprefix(prefix)).is_file(), sid
    assert json.loads((REPO / sid.removeprefix(prefix)).read_text())["$id"] == sid
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"# yaml-language-server: $schema={sid}\n" in readme


def test_every_configuration_key_is_a_setting():
    fields = set(Settings.__dataclass_fields__)
    assert {k.replace("-", "_") for k in schema()["properties"]} <= fields


def test_the_yaml_language_server_modeline_is_a_comment_and_the_schema_command_prints_it(tmp_path):
    write(tmp_path, {".vllm-lint.yaml": "# yaml-language-server: $schema=https://raw.githubusercontent.com/vllm-lint/"
                                        "vllm-lint/main/linter/schemas/config.schema.json\ninline-suppressions: false\n"
                                        'docs-url: "https://docs.example.com/{code}"\n'})
    settings = load(tmp_path / ".vllm-lint.yaml")
    assert settings.inline_suppressions is False and settings.docs_url == "https://docs.example.com/{code}"
    out = run("schema", cwd=tmp_path)
    assert out.returncode == 0 and json.loads(out.stdout)["$id"] == schema()["$id"]


@pytest.mark.parametrize("bad", ["inline-suppressions: maybe\n", "respect-gitignore: 1\n", 'docs-url: ""\n'])
def test_bad_policy_values_are_configuration_errors(tmp_path, bad):
    write(tmp_path, {".vllm-lint.yaml": bad, "compose.yaml": COMPOSE})
    out = run(".", "--offline", cwd=tmp_path)
    assert out.returncode == 2 and "invalid configuration" in out.stderr
