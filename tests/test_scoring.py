"""Scoring: merging start methods, exercise status, and the catalogue's points."""

import ast
from typing import Any

import pytest

from grader.catalogue import EXERCISES, resolve
from grader.errors import UsageError
from grader.jsonreport import RawCheck, read_report
from grader.model import Kind, Status
from grader.scoring import error_outcome, exercise_outcome, merge_check


def row(
    status: Status, method: str = "forkserver", points: float = 2.0, check: str = "c", message: str = ""
) -> RawCheck:
    return RawCheck("ex01_process", check, Kind.CORRECTNESS, points, method, status, message, {}, False, 0.5)


def test_passed_everywhere_earns_the_points() -> None:
    merged = merge_check([row(Status.PASSED, "fork"), row(Status.PASSED, "spawn")])
    assert (merged.status, merged.score, merged.max_score) == (Status.PASSED, 2.0, 2.0)


def test_fork_only_code_loses_the_points_and_is_told_why() -> None:
    merged = merge_check([row(Status.PASSED, "fork"), row(Status.ERROR, "spawn", message="Can't pickle lambda")])
    assert merged.status is Status.ERROR and merged.score == 0.0
    assert merged.message.startswith("under spawn: Can't pickle lambda")
    assert "passed under fork" in merged.message
    assert merged.data["start_methods"] == {"fork": "passed", "spawn": "error"}


def test_a_skip_does_not_count_against() -> None:
    merged = merge_check([row(Status.SKIPPED, "fork"), row(Status.PASSED, "spawn")])
    assert merged.status is Status.PASSED and merged.score == 2.0
    only_skips = merge_check([row(Status.SKIPPED, message="one core")])
    assert (only_skips.status, only_skips.score, only_skips.max_score) == (Status.SKIPPED, 0.0, 0.0)


def test_exercise_status_and_totals() -> None:
    exercise = EXERCISES[0]
    rows = [row(Status.PASSED, check="a"), row(Status.FAILED, check="b", points=3.0), row(Status.SKIPPED, check="c")]
    outcome = exercise_outcome(exercise, rows)
    assert (outcome.score, outcome.max_score, outcome.status) == (2.0, 5.0, Status.FAILED)
    assert [c.id for c in outcome.checks] == ["a", "b", "c"]
    assert exercise_outcome(exercise, rows[:1]).status is Status.PASSED


def test_error_outcome_keeps_the_max_score() -> None:
    outcome = error_outcome(EXERCISES[2], "file not found", 0.0)
    assert (outcome.status, outcome.score, outcome.max_score, outcome.error) == (
        Status.ERROR,
        0.0,
        12.0,
        "file not found",
    )


def test_catalogue_points_match_the_check_markers() -> None:
    for exercise in EXERCISES:
        tree = ast.parse(exercise.check_file.read_text())
        points = 0.0
        ids = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "check":
                check_id, kind, value = (ast.literal_eval(arg) for arg in node.args)
                assert kind in {k.value for k in Kind}
                ids.append(check_id)
                points += value
        assert points == exercise.points, exercise.id
        assert len(ids) == len(set(ids)), exercise.id
    assert sum(e.points for e in EXERCISES) == 100


def test_resolve_by_prefix_and_unknown() -> None:
    assert [e.id for e in resolve(["ex03", "ex01_process"])] == ["ex03_executor_map", "ex01_process"]
    with pytest.raises(UsageError, match="unknown exercise 'ex42'"):
        resolve(["ex42"])


def test_report_without_metadata_is_a_grader_fault() -> None:
    from grader.errors import CheckRunError

    with pytest.raises(CheckRunError, match="without a verdict"):
        read_report({"tests": [{"nodeid": "x::y", "setup": {"longrepr": "boom"}}]})


def test_report_rows_are_read() -> None:
    meta: dict[str, Any] = {
        "exercise": "ex01_process",
        "check": "c",
        "kind": "api",
        "points": 1,
        "start_method": "spawn",
        "status": "failed",
        "message": "m",
        "data": {"x": 1},
    }
    rows = read_report(
        {
            "tests": [
                {"nodeid": "n", "metadata": {"mpgrade": meta}, "setup": {"duration": 0.1}, "call": {"duration": 0.2}}
            ]
        }
    )
    assert rows[0].kind is Kind.API and rows[0].status is Status.FAILED and abs(rows[0].duration_s - 0.3) < 1e-9
