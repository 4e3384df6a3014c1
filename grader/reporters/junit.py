"""JUnit XML: one testsuite per exercise, one testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from grader.model import CheckOutcome, ExerciseOutcome, GradeReport, Status

_ELEMENT = {Status.FAILED: "failure", Status.ERROR: "error", Status.SKIPPED: "skipped"}


def _case(suite: ElementTree.Element, exercise: ExerciseOutcome, check: CheckOutcome, seconds: float) -> None:
    case = ElementTree.SubElement(suite, "testcase", classname=exercise.id, name=check.id, time=f"{seconds:.3f}")
    properties = ElementTree.SubElement(case, "properties")
    for name, value in (
        ("kind", check.kind.value),
        ("points", f"{check.score:g}"),
        ("max_points", f"{check.max_score:g}"),
    ):
        ElementTree.SubElement(properties, "property", name=name, value=value)
    if check.status in _ELEMENT:
        outcome = ElementTree.SubElement(case, _ELEMENT[check.status], message=check.message[:500])
        outcome.text = check.message


def _suite(root: ElementTree.Element, exercise: ExerciseOutcome) -> tuple[int, int, int, int]:
    checks = list(exercise.checks)
    counts = [
        len(checks) or 1,
        sum(c.status is Status.FAILED for c in checks),
        sum(c.status is Status.ERROR for c in checks) + (exercise.status is Status.ERROR),
        sum(c.status is Status.SKIPPED for c in checks),
    ]
    suite = ElementTree.SubElement(
        root,
        "testsuite",
        name=exercise.id,
        tests=str(counts[0]),
        failures=str(counts[1]),
        errors=str(counts[2]),
        skipped=str(counts[3]),
        time=f"{exercise.duration_s:.3f}",
    )
    if exercise.status is Status.ERROR:
        case = ElementTree.SubElement(suite, "testcase", classname=exercise.id, name="load", time="0.000")
        error = ElementTree.SubElement(case, "error", message=(exercise.error or "")[:500])
        error.text = exercise.error
    share = exercise.duration_s / max(1, len(checks))
    for check in checks:
        _case(suite, exercise, check, share)
    return counts[0], counts[1], counts[2], counts[3]


def render(report: GradeReport) -> str:
    root = ElementTree.Element("testsuites", name="mpgrade")
    totals = [0, 0, 0, 0]
    for exercise in report.exercises:
        totals = [a + b for a, b in zip(totals, _suite(root, exercise), strict=True)]
    for name, value in zip(("tests", "failures", "errors", "skipped"), totals, strict=True):
        root.set(name, str(value))
    root.set("time", f"{report.duration_s:.3f}")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
