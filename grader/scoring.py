"""From raw check rows to scored checks and exercises."""

from __future__ import annotations

from collections.abc import Sequence

from grader.catalogue import Exercise
from grader.jsonreport import RawCheck
from grader.model import CheckOutcome, ExerciseOutcome, Kind, Status

_SEVERITY = {Status.ERROR: 3, Status.FAILED: 2, Status.PASSED: 1, Status.SKIPPED: 0}


def merge_check(variants: Sequence[RawCheck]) -> CheckOutcome:
    """One check over its start methods: the worst judged variant decides; skips don't count against."""
    first = variants[0]
    judged = [v for v in variants if v.status is not Status.SKIPPED]
    worst = max(judged or variants, key=lambda v: _SEVERITY[v.status])
    several = len(variants) > 1
    message = worst.message
    if several and worst.status is not Status.PASSED and worst.start_method:
        passed_under = [v.start_method for v in variants if v.status is Status.PASSED and v.start_method]
        message = f"under {worst.start_method}: {message}"
        fork_only = worst.status is Status.ERROR or first.kind is Kind.CORRECTNESS
        if fork_only and "fork" in passed_under and worst.start_method != "fork":
            message += (
                " (it passed under fork: code that only works under fork breaks on macOS, Windows and "
                "Python 3.14+; look for a lambda or nested function as a target, a global set at run "
                "time, or work done at import)"
            )
    data = dict(worst.data)
    if several:
        data["start_methods"] = {v.start_method or "?": v.status.value for v in variants}
    if worst.status is Status.SKIPPED:
        return CheckOutcome(first.check, first.kind, Status.SKIPPED, 0.0, 0.0, message, data)
    score = first.points if worst.status is Status.PASSED else 0.0
    return CheckOutcome(first.check, first.kind, worst.status, score, first.points, message, data)


def merge_checks(rows: Sequence[RawCheck]) -> tuple[CheckOutcome, ...]:
    """Group rows by check id in the order they ran, then merge each group."""
    groups: dict[str, list[RawCheck]] = {}
    for row in rows:
        groups.setdefault(row.check, []).append(row)
    return tuple(merge_check(group) for group in groups.values())


def exercise_outcome(exercise: Exercise, rows: Sequence[RawCheck], extra_s: float = 0.0) -> ExerciseOutcome:
    checks = merge_checks(rows)
    score = round(sum(c.score for c in checks), 2)
    max_score = round(sum(c.max_score for c in checks), 2)
    passed = all(c.status in (Status.PASSED, Status.SKIPPED) for c in checks)
    return ExerciseOutcome(
        id=exercise.id,
        title=exercise.title,
        score=score,
        max_score=max_score,
        status=Status.PASSED if passed else Status.FAILED,
        error=None,
        duration_s=round(sum(r.duration_s for r in rows) + extra_s, 3),
        checks=checks,
        file=exercise.filename,
    )


def error_outcome(exercise: Exercise, message: str, duration_s: float, line: int | None = None) -> ExerciseOutcome:
    """An exercise that could not be graded: no check ran, every point lost."""
    return ExerciseOutcome(
        id=exercise.id,
        title=exercise.title,
        score=0.0,
        max_score=float(exercise.points),
        status=Status.ERROR,
        error=message,
        duration_s=round(duration_s, 3),
        checks=(),
        file=exercise.filename,
        error_line=line,
    )
