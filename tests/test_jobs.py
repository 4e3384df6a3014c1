"""Check suites run side by side: results in the contract's order, whatever finishes first."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grader import catalogue, grade
from grader.config import Settings
from grader.jsonreport import RawCheck
from grader.model import Kind, Status
from grader.sandbox.isolation import Isolation, Layers, Limits


def test_rows_come_back_in_the_order_of_the_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    exercises = catalogue.EXERCISES[:5]
    delays = {exercise.id: 0.05 * (5 - index) for index, exercise in enumerate(exercises)}  # the first finishes last

    def fake_run_checks(directory: Path, group: tuple[catalogue.Exercise, ...], settings: Settings) -> list[RawCheck]:
        time.sleep(sum(delays[e.id] for e in group))
        return [
            RawCheck(e.id, f"check-{n}", Kind.CORRECTNESS, 1.0, None, Status.PASSED, "", {}, False, 0.0)
            for e in group
            for n in range(2)
        ]

    monkeypatch.setattr(grade, "run_checks", fake_run_checks)
    settings = Settings(("forkserver",), 30.0, Isolation(Limits(), Layers()), jobs=3)
    rows = grade._run_groups(Path("."), exercises, settings)
    assert [row.exercise for row in rows] == [e.id for e in exercises for _ in range(2)]
    assert [row.check for row in rows[:2]] == ["check-0", "check-1"]
