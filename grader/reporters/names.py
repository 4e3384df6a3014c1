"""Names of checks for people: 'ex05_queue - no deadlock 20000 items'."""

from __future__ import annotations

from grader.model import CheckOutcome, ExerciseOutcome


def check_title(exercise: ExerciseOutcome, check: CheckOutcome) -> str:
    return f"{exercise.id} - {check.id.replace('-', ' ')}"


def load_title(exercise: ExerciseOutcome) -> str:
    return f"{exercise.id} - could not be graded"
