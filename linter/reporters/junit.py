"""JUnit XML, as Jenkins, GitLab (``artifacts: reports: junit:``), Azure DevOps and CircleCI read it: one
test suite per file linted, one test case per rule and file (``classname`` the file, ``name`` the rule),
a ``<failure>`` per finding of that rule in that file. Rules that found nothing in a file pass."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timezone

from vllm_lint import __version__


def _clean(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped."""
    return "".join(c for c in str(text) if c in "\t\n\r" or ord(c) >= 0x20 and c not in "\ufffe\uffff")


def render(result, **_) -> str:
    from vllm_lint.docs import finding_url
    from vllm_lint.rule import all_rules

    settings = result.project.settings
    rules = list(getattr(result, "rules", None) or all_rules())
    by_case = defaultdict(list)
    for f in result.findings:
        by_case[(f.span.path, f.code)].append(f)
    files = sorted({sf.path for sf in result.project.files} | {f.span.path for f in result.findings})
    codes = {r.code for r in rules}
    rules += [r for r in all_rules() if r.code not in codes and any(f.code == r.code for f in result.findings)]
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "")
    root = ET.Element("testsuites", name="vllm-lint", tests="0", failures="0", errors="0", time="0")
    total = failed = 0
    for path in files:
        suite = ET.SubElement(root, "testsuite", name=_clean(path), tests="0", failures="0", errors="0",
                              skipped="0", time="0", timestamp=stamp, hostname="vllm-lint")
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="vllm-lint.version", value=__version__)
        tests = failures = 0
        for rule in rules:
            found = by_case.get((path, rule.code), [])
            case = ET.SubElement(suite, "testcase", name=f"{rule.code} {rule.name}", classname=_clean(path), time="0")
            tests += 1
            if found:
                failures += 1
                first = found[0]
                failure = ET.SubElement(case, "failure", type=rule.code,
                                        message=_clean(f"{len(found)} finding{'s' if len(found) != 1 else ''}: {first.message}"))
                failure.text = _clean("\n".join(
                    f"{f.span.path}:{f.span.line}:{f.span.column}: {f.code} [{f.severity}] {f.message}"
                    + (f"\n  = help: {f.hint}" if f.hint else "") + f"\n  = docs: {finding_url(f, settings)}"
                    for f in found))
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        total += tests
        failed += failures
    if result.internal_errors:
        suite = ET.SubElement(root, "testsuite", name="vllm-lint internal errors", tests=str(len(result.internal_errors)),
                              failures="0", errors=str(len(result.internal_errors)), skipped="0", time="0",
                              timestamp=stamp, hostname="vllm-lint")
        for i, error in enumerate(result.internal_errors, 1):
            case = ET.SubElement(suite, "testcase", name=f"internal error {i}", classname="vllm-lint", time="0")
            ET.SubElement(case, "error", type="internal-error", message=_clean(error.splitlines()[0])).text = _clean(error)
        total += len(result.internal_errors)
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", str(len(result.internal_errors)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
