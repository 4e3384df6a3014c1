"""Grading one submission: preflight each exercise, run the checks, score the outcome."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader import __version__
from grader.catalogue import Exercise
from grader.config import Settings
from grader.environment import describe
from grader.jsonreport import RawCheck
from grader.model import ExerciseOutcome, GradeReport
from grader.preflight import preflight
from grader.sandbox import machine, subreaper
from grader.scoring import error_outcome, exercise_outcome
from grader.suite import Suite


def grade(
    directory: Path, exercises: tuple[Exercise, ...], settings: Settings, shown_as: str
) -> tuple[GradeReport, list[RawCheck]]:
    """Grade ``exercises`` of the submission in ``directory``; also returns the raw rows."""
    begun = time.monotonic()
    subreaper.become_subreaper()
    outcomes: dict[str, ExerciseOutcome] = {}
    ready: list[Exercise] = []
    loading: dict[str, float] = {}
    machine.configure(settings.jobs)
    suite = Suite(directory, exercises, settings)  # pytest starts meanwhile; it checks what the preflight lets through
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(settings.jobs, len(exercises)))) as pool:
            checks = list(pool.map(lambda e: preflight(directory, e, settings.isolation, settings.timeout), exercises))
    except BaseException:
        suite.cancel()
        raise
    for exercise, check in zip(exercises, checks, strict=True):
        loading[exercise.id] = check.duration_s
        if check.error is not None:
            outcomes[exercise.id] = error_outcome(exercise, check.error, check.duration_s, check.line)
        else:
            ready.append(exercise)
    rows = suite.run(tuple(ready))
    for exercise in ready:
        mine = [row for row in rows if row.exercise == exercise.id]
        outcomes[exercise.id] = exercise_outcome(exercise, mine, loading[exercise.id])
    report = GradeReport(
        tool_version=__version__,
        submission=shown_as,
        environment=describe(settings.start_methods, settings.isolation),
        exercises=tuple(outcomes[e.id] for e in exercises),
        duration_s=round(time.monotonic() - begun, 3),
    )
    return report, rows
