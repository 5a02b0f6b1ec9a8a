import pytest
from conftest import codes, lint, write

from vllm_lint import config
from vllm_lint.config import ConfigError, Settings

LATEST = 'services:\n  llm:\n    image: vllm/vllm-openai:latest{comment}\n    command: ["m"]\n'


def test_inline_suppression_on_the_line(tmp_path):
    assert codes(lint(tmp_path, {"compose.yaml": LATEST.format(comment="  # vllm-lint: disable=VLL102")})) == []


def test_suppression_by_name_on_the_line_before(tmp_path):
    text = 'services:\n  llm:\n    # vllm-lint: disable=unpinned-image\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n'
    assert codes(lint(tmp_path, {"compose.yaml": text})) == []


def test_file_suppression(tmp_path):
    assert codes(lint(tmp_path, {"compose.yaml": "# vllm-lint: disable-file=VLL102\n" + LATEST.format(comment="")})) == []


def test_unused_suppression_is_reported(tmp_path):
    result = lint(tmp_path, {"compose.yaml": LATEST.format(comment="  # vllm-lint: disable=VLL102,VLL105,VLL999")})
    messages = sorted(f.message for f in result.findings)
    assert codes(result) == ["VLL002", "VLL002"]
    assert any("VLL105 (unmounted-file-argument)" in m for m in messages)
    assert any("'VLL999' is not a vllm-lint rule" in m for m in messages)


def test_suppression_of_a_rule_that_did_not_run_is_not_judged(tmp_path):
    result = lint(tmp_path, {"compose.yaml": LATEST.format(comment="  # vllm-lint: disable=VLL105")}, select=["VLL002", "VLL102"])
    assert codes(result) == ["VLL102"]


def test_yaml_config_select_ignore_severity_and_per_file_ignores(tmp_path):
    write(tmp_path, {".vllm-lint.yaml": """
        ignore: [VLL105]
        severity: {unpinned-image: error}
        per-file-ignores:
          "legacy/**": [VLL102]
        fail-on: error
        vllm-version: "0.9.2"
        rules:
          unpinned-image: {floating-tags: [stable]}
    """})
    settings = config.load(config.find_config(tmp_path))
    assert settings.fail_on == "error" and settings.vllm_version == "0.9.2"
    result = lint(tmp_path, {"a/compose.yaml": LATEST.format(comment="").replace(":latest", ":stable"),
                             "legacy/compose.yaml": LATEST.format(comment="").replace(":latest", ":stable"),
                             "b/compose.yaml": LATEST.format(comment="")}, settings=settings)
    [f] = result.findings
    assert (f.code, f.severity, f.span.path) == ("VLL102", "error", "a/compose.yaml")


def test_pyproject_config(tmp_path):
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n\n[tool.vllm-lint]\nselect = ["VLL1"]\noffline = true\n'})
    settings = config.load(config.find_config(tmp_path / "sub" if (tmp_path / "sub").mkdir() is None else tmp_path))
    assert settings.select == ["VLL1"] and settings.offline is True


def test_invalid_config_names_file_line_and_key(tmp_path):
    write(tmp_path, {".vllm-lint.yaml": "select: [VLL1]\nfail-on: sometimes\n"})
    with pytest.raises(ConfigError) as e:
        config.load(tmp_path / ".vllm-lint.yaml")
    assert ".vllm-lint.yaml:2:10" in str(e.value) and "fail-on" in str(e.value)


def test_unknown_config_key(tmp_path):
    write(tmp_path, {".vllm-lint.yaml": "selct: [VLL1]\n"})
    with pytest.raises(ConfigError, match="selct"):
        config.load(tmp_path / ".vllm-lint.yaml")


def test_exclude_patterns(tmp_path):
    settings = Settings(root=tmp_path, exclude=["archive/", "*.bak.yml"])
    result = lint(tmp_path, {"archive/compose.yaml": LATEST.format(comment=""), "x.bak.yml": LATEST.format(comment=""),
                             "live/compose.yaml": LATEST.format(comment="")}, settings=settings)
    assert [f.span.path for f in result.findings] == ["live/compose.yaml"], [(f.code, f.message) for f in result.findings]


def test_exclude_patterns_read_as_gitignore_does(tmp_path):
    # a pattern with a slash is anchored and its * does not cross folders; ** does; !negation re-includes
    settings = Settings(root=tmp_path, exclude=["profiles/*.yml", "**/old/", "!profiles/keep.yml"])
    files = {name: LATEST.format(comment="") for name in (
        "profiles/a.yml", "profiles/keep.yml", "profiles/sub/b.yml", "deep/old/c.yml", "deep/new/d.yml")}
    result = lint(tmp_path, files, settings=settings)
    assert sorted({f.span.path for f in result.findings}) == ["deep/new/d.yml", "profiles/keep.yml",
                                                              "profiles/sub/b.yml"]


def test_a_folder_named_on_the_command_line_is_read_though_a_folder_pattern_excludes_it(tmp_path):
    # as ruff and ripgrep do for ignore files: what the user names is linted; the walk from the root skips it
    settings = Settings(root=tmp_path, exclude=["archive/"])
    files = {"archive/compose.yaml": LATEST.format(comment=""), "live/compose.yaml": LATEST.format(comment="")}
    named = lint(tmp_path, files, settings=settings, paths=["archive"])
    assert {f.span.path for f in named.findings} == {"archive/compose.yaml"}
    walked = lint(tmp_path, settings=settings)
    assert {f.span.path for f in walked.findings} == {"live/compose.yaml"}
