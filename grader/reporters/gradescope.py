"""Gradescope's ``results.json``: one test per check, the total, a short summary."""

from __future__ import annotations

import html
import json
from typing import Any

from grader.model import CheckOutcome, GradeReport, Status
from grader.reporters.names import check_title, load_title
from grader.reporters.terminal import first_problem


def _tests(report: GradeReport) -> list[dict[str, Any]]:
    tests = []
    for number, exercise in enumerate(report.exercises, start=1):
        if exercise.status is Status.ERROR:
            tests.append(
                {
                    "name": load_title(exercise),
                    "number": f"{number}",
                    "score": 0.0,
                    "max_score": exercise.max_score,
                    "status": "failed",
                    "output": exercise.error or "",
                    "output_format": "text",
                    "tags": [exercise.id],
                    "visibility": "visible",
                }
            )
            continue
        for index, check in enumerate(exercise.checks, start=1):
            output = check.message
            if check.status is Status.SKIPPED:
                output = f"Not judged on this machine (no points either way): {check.message}"
            drawn = timeline_html(check, output) if "timeline" in check.data else None
            tests.append(
                {
                    "name": check_title(exercise, check),
                    "number": f"{number}.{index}",
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if check.status in (Status.PASSED, Status.SKIPPED) else "failed",
                    "output": drawn or output,
                    "output_format": "html" if drawn else "text",
                    "tags": [exercise.id, check.kind.value],
                    "visibility": "visible",
                    "extra_data": {"status": check.status.value, "data": check.data},
                }
            )
    return tests


MAX_SVG_BYTES = 80_000  # a larger drawing is left out; the table stays


def timeline_html(check: CheckOutcome, message: str) -> str:
    """The message, the run's timeline drawn by Vega (SVG, when the report extra is there and
    the drawing is small) and the table of its processes, as Gradescope's HTML output."""
    from grader.report import charts  # here: only a check with a timeline needs it

    drawn = check.data["timeline"]
    parts = [f"<p>{html.escape(message)}</p>"]
    svg = charts.svg(charts.timeline(drawn, f"{check.id}: the run behind the check"))
    if svg is not None and len(svg) <= MAX_SVG_BYTES:
        parts.append(svg)
    rows = "".join(
        f"<tr><td>{html.escape(str(p['role']))} {p['pid']}</td><td>{p['parent'] or 'the grader'}</td>"
        f"<td>{p['start']}</td><td>{p['end']}</td><td>{p['cpu_s']}</td></tr>"
        for p in drawn.get("processes", [])
    )
    parts.append(
        "<table><thead><tr><th>process</th><th>parent</th><th>start (s)</th><th>end (s)</th><th>CPU (s)</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )
    return "".join(parts)


def to_dict(report: GradeReport) -> dict[str, Any]:
    problem = first_problem(report)
    summary = f"mpgrade: {report.score:g}/{report.max_score:g}."
    if problem:
        summary += f" Fix first: {problem}"
    return {
        "score": report.score,
        "execution_time": round(report.duration_s),
        "output": summary,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": _tests(report),
    }


def failure(message: str) -> dict[str, Any]:
    """A valid results.json for a grading that could not finish."""
    return {
        "score": 0.0,
        "execution_time": 0,
        "output": f"mpgrade could not grade this submission: {message}",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": [],
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
