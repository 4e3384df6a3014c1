"""Gradescope's ``results.json``: one test per check, the total, a short summary."""

from __future__ import annotations

import json
from typing import Any

from grader.model import GradeReport, Status
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
            tests.append(
                {
                    "name": check_title(exercise, check),
                    "number": f"{number}.{index}",
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if check.status in (Status.PASSED, Status.SKIPPED) else "failed",
                    "output": output,
                    "output_format": "text",
                    "tags": [exercise.id, check.kind.value],
                    "visibility": "visible",
                    "extra_data": {"status": check.status.value, "data": check.data},
                }
            )
    return tests


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
