"""The machine-readable report of CONTRACT.md (schema_version 1)."""

from __future__ import annotations

import json
from typing import Any

from grader.model import CheckOutcome, ExerciseOutcome, GradeReport

SCHEMA_VERSION = 1


def _check(check: CheckOutcome) -> dict[str, Any]:
    return {
        "id": check.id,
        "kind": check.kind.value,
        "status": check.status.value,
        "score": check.score,
        "max_score": check.max_score,
        "message": check.message,
        "data": check.data,
    }


def _exercise(exercise: ExerciseOutcome) -> dict[str, Any]:
    return {
        "id": exercise.id,
        "title": exercise.title,
        "file": exercise.file,
        "score": exercise.score,
        "max_score": exercise.max_score,
        "status": exercise.status.value,
        "error": exercise.error,
        "duration_s": exercise.duration_s,
        "checks": [_check(c) for c in exercise.checks],
    }


def to_dict(report: GradeReport) -> dict[str, Any]:
    env = report.environment
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mpgrade", "version": report.tool_version},
        "submission": report.submission,
        "score": report.score,
        "max_score": report.max_score,
        "duration_s": report.duration_s,
        "environment": {
            "python": env.python,
            "platform": env.platform,
            "usable_cpus": env.usable_cpus,
            "start_method": env.start_method,
            "start_methods": list(env.start_methods),
            "isolation": env.isolation,
        },
        "exercises": [_exercise(e) for e in report.exercises],
    }


def render(report: GradeReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
