"""GitLab Code Quality and JUnit reports (validated against GitLab's documented format and JUnit's structure),
the documentation URL every finding carries, and the rule pages ``vllm-lint docs`` writes."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from conftest import DATA, EXAMPLES, REPO, lint, write

from vllm_lint import REPOSITORY_URL
from vllm_lint.config import Settings
from vllm_lint.reporters import render

BAD = ('services:\n  llm:\n    image: vllm/vllm-openai:latest\n    ports: ["5000:8000"]\n'
       '    command: ["m", "--port", "9000"]\n')
TWICE = ('services:\n  a:\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n'
         '  b:\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n')


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vllm_lint", *args], check=False, capture_output=True, text=True, cwd=cwd)


def gitlab_schema():
    return json.loads((DATA / "schemas" / "gitlab" / "code-quality-report.schema.json").read_text())


# ----------------------------------------------------------------------------- GitLab


def test_gitlab_report_validates_against_the_documented_format(tmp_path):
    result = lint(tmp_path, {"compose.yaml": BAD})
    doc = json.loads(render("gitlab", result))
    jsonschema.Draft202012Validator(gitlab_schema()).validate(doc)
    assert {i["check_name"].split()[0] for i in doc} == {"VLL102", "VLL103"}
    port = next(i for i in doc if i["check_name"].startswith("VLL103"))
    assert port["location"] == {"path": "compose.yaml", "lines": {"begin": 4, "end": 4}}
    assert port["severity"] == "major"  # an error
    assert "VLL103.md" in port["content"]["body"]


def test_gitlab_fingerprints_are_unique_and_survive_line_moves(tmp_path):
    first = json.loads(render("gitlab", lint(tmp_path, {"compose.yaml": TWICE})))
    fingerprints = [i["fingerprint"] for i in first]
    assert len(fingerprints) == len(set(fingerprints)) == 2  # the same text flagged twice: still two issues
    moved = json.loads(render("gitlab", lint(tmp_path, {"compose.yaml": "# a comment\n\n" + TWICE})))
    assert [i["fingerprint"] for i in moved] == fingerprints
    assert [i["location"]["lines"]["begin"] for i in moved] == [i["location"]["lines"]["begin"] + 2 for i in first]


def _gitlab_keeps(doc: list) -> dict:
    """What GitLab's parser keeps of a report (tests/data/schemas/SOURCES.md says where it is read from): each
    issue on its own, dropped unless it has description, fingerprint, severity (strings) and a location
    object whose line numbers, where given, are integers; then one issue per fingerprint, the last."""
    kept = {}
    for issue in doc:
        location = issue.get("location")
        if not all(isinstance(issue.get(k), str) for k in ("description", "fingerprint", "severity")):
            continue
        if not isinstance(location, dict):
            continue
        begins = [location.get("lines", {}).get("begin"), location.get("positions", {}).get("begin", {}).get("line")]
        if any(b is not None and (not isinstance(b, int) or isinstance(b, bool)) for b in begins):
            continue
        kept[issue["fingerprint"]] = issue
    return kept


def test_gitlab_report_of_the_examples_validates(tmp_path):
    out = run("check", str(EXAMPLES), "--offline", "--format", "gitlab", cwd=REPO)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    jsonschema.Draft202012Validator(gitlab_schema()).validate(doc)
    assert len({i["fingerprint"] for i in doc}) == len(doc) > 10
    assert len(_gitlab_keeps(doc)) == len(doc)  # GitLab shows every issue: none dropped, none merged
    assert len(_gitlab_keeps(doc + [{**doc[0], "description": "again"}])) == len(doc)  # a repeated fingerprint merges
    assert len(_gitlab_keeps([{**doc[0], "location": {"path": "a", "lines": {"begin": "3"}}}])) == 0


def test_the_gitlab_schema_rejects_what_gitlab_cannot_read():
    validator = jsonschema.Draft202012Validator(gitlab_schema())
    good = {"description": "d", "check_name": "c", "fingerprint": "f", "severity": "minor",
            "location": {"path": "a.yml", "lines": {"begin": 1}}}
    assert validator.is_valid([good])
    for broken in ({**good, "severity": "warning"}, {k: v for k, v in good.items() if k != "fingerprint"},
                   {**good, "location": {"path": "a.yml"}}, {**good, "location": {"path": "/abs/a.yml", "lines": {"begin": 1}}}):
        assert not validator.is_valid([broken]), broken


# ----------------------------------------------------------------------------- JUnit


def _junit(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    # the structure of the Jenkins/Ant JUnit schema, strictly
    assert root.tag == "testsuites" and set(root.attrib) <= {"name", "tests", "failures", "errors", "time", "disabled"}
    total = failures = 0
    for suite in root:
        assert suite.tag == "testsuite"
        assert {"name", "tests", "failures", "errors"} <= set(suite.attrib)
        assert set(suite.attrib) <= {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname",
                                     "id", "package", "disabled"}
        children = list(suite)
        tags = [c.tag for c in children]
        assert set(tags) <= {"properties", "testcase", "system-out", "system-err"}
        assert tags.count("properties") <= 1 and (not tags.count("properties") or tags[0] == "properties")
        cases = [c for c in children if c.tag == "testcase"]
        failed = 0
        for case in cases:
            assert {"name", "classname"} <= set(case.attrib) and set(case.attrib) <= {"name", "classname", "time",
                                                                                       "assertions", "status", "file", "line"}
            float(case.get("time", "0"))
            results = list(case)
            assert all(r.tag in ("failure", "error", "skipped", "system-out", "system-err") for r in results)
            assert sum(r.tag in ("failure", "error", "skipped") for r in results) <= 1
            for r in results:
                if r.tag in ("failure", "error"):
                    assert {"message", "type"} <= set(r.attrib) and r.text
            failed += any(r.tag == "failure" for r in results)
        assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == failed
        total += len(cases)
        failures += failed
    assert int(root.get("tests")) == total and int(root.get("failures")) == failures
    return root


def test_junit_one_case_per_rule_and_file(tmp_path):
    write(tmp_path, {"b/compose.yaml": BAD.replace("latest", "v0.11.0")})
    result = lint(tmp_path, {"a/compose.yaml": BAD})
    root = _junit(render("junit", result))
    suites = {s.get("name"): s for s in root}
    assert set(suites) == {"a/compose.yaml", "b/compose.yaml"}
    ran = [r.code for r in result.rules]
    for suite in suites.values():
        assert [c.get("name").split()[0] for c in suite.iter("testcase")] == ran
    failed = {(c.get("classname"), c.get("name").split()[0]) for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == {("a/compose.yaml", "VLL102"), ("a/compose.yaml", "VLL103"), ("b/compose.yaml", "VLL103")}
    failure = next(c for c in root.iter("testcase") if c.get("classname") == "a/compose.yaml"
                   and c.get("name").startswith("VLL103")).find("failure")
    assert failure.get("type") == "VLL103" and "compose.yaml:4:13" in failure.text and "VLL103.md" in failure.text


def _consumed(text: str) -> dict:
    """What a real consumer reads from the report: junitparser, the parser of publish-unit-test-result-action
    (the GitHub/Gitea action that turns JUnit files into check runs). The counts the report declares must be
    the ones the consumer recounts from its test cases."""
    from junitparser import Error, Failure, JUnitXml, TestSuite

    xml = JUnitXml.fromstring(text.encode("utf-8"))
    assert isinstance(xml, JUnitXml), type(xml)
    declared = (xml.tests, xml.failures, xml.errors)
    cases = {}
    for suite in xml:
        assert isinstance(suite, TestSuite)
        counts = (suite.tests, suite.failures, suite.errors)
        suite.update_statistics()
        assert counts == (suite.tests, suite.failures, suite.errors), (suite.name, counts)
        for case in suite:
            results = case.result
            assert len(results) <= 1 and all(isinstance(r, (Failure, Error)) for r in results)
            cases[(case.classname, case.name.split()[0])] = results[0] if results else None
    assert declared == (len(cases), sum(isinstance(r, Failure) for r in cases.values()),
                        sum(isinstance(r, Error) for r in cases.values())), declared
    return cases


def test_junit_as_a_real_consumer_reads_it(tmp_path):
    from junitparser import Failure

    result = lint(tmp_path, {"a/compose.yaml": BAD, "b/compose.yaml": TWICE})
    cases = _consumed(render("junit", result))
    assert len(cases) == 2 * len(result.rules)
    failed = {key: r for key, r in cases.items() if r is not None}
    assert set(failed) == {("a/compose.yaml", "VLL102"), ("a/compose.yaml", "VLL103"), ("b/compose.yaml", "VLL102")}
    twice = failed[("b/compose.yaml", "VLL102")]
    assert isinstance(twice, Failure) and twice.type == "VLL102" and twice.message.startswith("2 findings: ")
    assert twice.text.count("b/compose.yaml:") == 2 and twice.text.count("= docs: ") == 2
    out = run("check", str(EXAMPLES), "--offline", "--format", "junit", cwd=REPO)
    assert out.returncode == 1, out.stderr
    assert sum(r is not None for r in _consumed(out.stdout).values()) > 10


def test_junit_escapes_what_xml_cannot_hold(tmp_path):
    result = lint(tmp_path, {"compose.yaml": BAD.replace('"m"', '"m<&>\\u0001"')})
    _junit(render("junit", result))


def test_junit_from_the_command_line(tmp_path):
    write(tmp_path, {"compose.yaml": BAD})
    out = run("check", ".", "--offline", "--format", "junit", cwd=tmp_path)
    assert out.returncode == 1
    _junit(out.stdout)


# ----------------------------------------------------------------------------- documentation URLs


def test_every_format_carries_the_rule_url(tmp_path):
    result = lint(tmp_path, {"compose.yaml": BAD})
    url = f"{REPOSITORY_URL}/blob/main/docs/rules/VLL103.md"
    assert {i["code"]: i["url"] for i in json.loads(render("json", result))}["VLL103"] == url
    sarif = json.loads(render("sarif", result))
    schema = json.loads((DATA / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == REPOSITORY_URL
    assert next(r for r in driver["rules"] if r["id"] == "VLL103")["helpUri"] == url
    assert all(r["helpUri"].endswith(f"/{r['id']}.md") for r in driver["rules"])
    rdjson = json.loads(render("rdjson", result))
    assert rdjson["source"] == {"name": "vllm-lint", "url": REPOSITORY_URL}
    assert next(d for d in rdjson["diagnostics"] if d["code"]["value"].startswith("VLL103"))["code"]["url"] == url
    assert f"  = docs: {url}" in render("text", result)
    assert f"[`VLL103`]({url})" in render("markdown", result)
    github = [line for line in render("github", result).splitlines() if "title=VLL103" in line]
    assert len(github) == 1 and github[0].endswith(f"%0Adocs: {url}"), github
    gitlab = json.loads(render("gitlab", result))
    assert all(i["content"]["body"].endswith(f"/{i['check_name'].split()[0]}.md") for i in gitlab)
    assert url in next(i for i in gitlab if i["check_name"].startswith("VLL103"))["content"]["body"]
    junit = ET.fromstring(render("junit", result).encode("utf-8"))
    failures = [f for f in junit.iter("failure") if f.get("type") == "VLL103"]
    assert failures and all(f"= docs: {url}" in f.text for f in failures)
    # every finding of every format: one URL each (json, text: one line per finding)
    assert len(json.loads(render("json", result))) == render("text", result).count("  = docs: https://") == 2


def test_docs_url_is_configurable(tmp_path):
    base = Settings(root=tmp_path, offline=True, docs_url="https://docs.example.com/vllm-lint/")
    result = lint(tmp_path, {"compose.yaml": BAD}, settings=base)
    assert {i["code"]: i["url"] for i in json.loads(render("json", result))}["VLL103"] == \
        "https://docs.example.com/vllm-lint/VLL103.html"
    template = Settings(root=tmp_path, offline=True, docs_url="https://wiki.example.com/lint/{name}")
    result = lint(tmp_path, settings=template)
    assert {i["code"]: i["url"] for i in json.loads(render("json", result))}["VLL103"] == \
        "https://wiki.example.com/lint/port-mismatch"
    write(tmp_path, {".vllm-lint.yaml": 'docs-url: "https://docs.example.com/r/{code}.html"\n'})
    out = run("check", ".", "--offline", "--format", "json", cwd=tmp_path)
    assert json.loads(out.stdout)[0]["url"].startswith("https://docs.example.com/r/VLL")


def test_a_known_issue_links_to_its_advisory_page():
    from vllm_lint.docs import finding_url
    from vllm_lint.finding import Finding
    from vllm_lint.sources.span import Span
    from vllm_lint.vllm.advisories import advisories

    first = advisories()[0].id
    f = Finding("VLL501", "known-issue", "warning", f"{first}: something", Span.point("a.yml"))
    assert finding_url(f).endswith(f"/docs/rules/{first}.md")


def test_docs_command_writes_a_page_per_rule_and_advisory(tmp_path):
    from vllm_lint.rule import all_rules
    from vllm_lint.vllm.advisories import advisories

    out = run("docs", "--out", str(tmp_path / "site"))
    assert out.returncode == 0, out.stderr
    site = tmp_path / "site"
    for ident in [r.code for r in all_rules()] + [a.id for a in advisories()]:
        assert (site / f"{ident}.md").is_file() and (site / f"{ident}.html").is_file(), ident
    page = (site / "VLL102.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<h1>VLL102 unpinned-image</h1>" in page
    assert "<pre><code class=\"language-yaml\">" in page and "<code>vllm/vllm-openai:v0.11.0</code>" in page
    ET.fromstring(page.split("\n", 1)[1].replace("&nbsp;", " "))  # well-formed
    index = (site / "index.html").read_text()
    assert 'href="VLL102.html"' in index and 'href="VLL102.md"' not in index
    assert "## Why is this bad?" in (site / "VLL102.md").read_text()


def test_the_repository_docs_are_current():
    """The default URL points at docs/rules/ of this repository: every rule and advisory has its page there,
    as `vllm-lint docs` generates it. After a change: `vllm-lint docs --out docs/rules --format md`."""
    from vllm_lint.docs import pages

    folder = REPO / "docs" / "rules"
    for name, text in pages("md").items():
        path = folder / name
        assert path.is_file(), f"{path} is missing: run `vllm-lint docs --out docs/rules --format md`"
        assert path.read_text(encoding="utf-8") == text, \
            f"{path} is out of date: run `vllm-lint docs --out docs/rules --format md`"


@pytest.mark.parametrize("fmt", ["gitlab", "junit"])
def test_new_formats_are_listed(fmt):
    from vllm_lint.reporters import FORMATS

    assert fmt in FORMATS
    assert fmt in run("check", "--help").stdout
