"""Checks of ex08_array: one process per chunk of a shared Array."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks.api import CONTEXT, ApiRule, check_api
from grader.checks.support import Call, CheckFailed, Submission, check_nothing_left, value_of

EXERCISE = "ex08_array"
SIZE, PROCS = 1_001, 4
LIFETIME = {"child_pause": 0.15}


def _judge(value: Any, size: int, n_procs: int) -> None:
    wanted = [i * i for i in range(size)]
    if value != wanted:
        shown = str(value)[:120]
        raise CheckFailed(
            f"parallel_squares({size}, {n_procs}) should return [i*i for i in range({size})]; got {shown}"
        )


@pytest.mark.check("squares", "correctness", 3)
def test_squares(submission: Submission) -> None:
    _judge(
        value_of(submission.call("parallel_squares", SIZE, PROCS), "parallel_squares(...)", submission.exercise),
        SIZE,
        PROCS,
    )


@pytest.mark.check("uneven-and-small", "correctness", 2)
def test_uneven_and_small(submission: Submission) -> None:
    cases = ((10, 3), (3, 4), (0, 2))
    results = submission.calls(*(Call("parallel_squares", case) for case in cases))
    for (size, n_procs), result in zip(cases, results, strict=False):
        _judge(value_of(result, f"parallel_squares({size}, {n_procs})", submission.exercise), size, n_procs)


@pytest.mark.check("fill-range-only", "correctness", 1)
def test_fill_range_only(submission: Submission) -> None:
    value = value_of(submission.driver("fill_range", 10, 3, 7), "fill_squares(arr, 3, 7)", submission.exercise)
    wanted = [-1, -1, -1, 9, 16, 25, 36, -1, -1, -1]
    if value != wanted:
        raise CheckFailed(f"fill_squares(arr, 3, 7) on an array of -1s should give {wanted}; got {value}")


@pytest.mark.check("one-process-per-chunk", "processes", 2)
def test_one_process_per_chunk(submission: Submission, evidence: dict[str, Any]) -> None:
    for size, n_procs, chunks in ((SIZE, PROCS, PROCS), (3, 4, 3)):
        result = submission.call("parallel_squares", size, n_procs, amplify=LIFETIME)
        value_of(result, f"parallel_squares({size}, {n_procs})", submission.exercise)
        seen = len(result.workers())
        evidence[f"processes({size},{n_procs})"] = seen
        if seen != chunks:
            raise CheckFailed(
                f"parallel_squares({size}, {n_procs}) has {chunks} non-empty chunks and should start "
                f"one process for each; the grader saw {seen} child process(es)"
            )


@pytest.mark.check("workers-gone", "cleanup", 1)
def test_workers_gone(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(submission.call("parallel_squares", SIZE, PROCS), "parallel_squares"))


# A shared Array (synchronized or raw) made by the submission, from any context.
ARRAY_MADE = ApiRule(
    frozenset({"Array", "RawArray"}),
    "created a shared Array",
    entries=frozenset({CONTEXT + "Array", CONTEXT + "RawArray"}),
    source=frozenset({"multiprocessing.Array", "multiprocessing.RawArray"}),
)


@pytest.mark.check("uses-array", "api", 1)
def test_uses_array(submission: Submission, evidence: dict[str, Any]) -> None:
    advice = "share the results through multiprocessing.Array('q', size) written by the processes"
    result = submission.call("parallel_squares", SIZE, PROCS)
    evidence.update(check_api(result, "parallel_squares", submission, ARRAY_MADE, advice))
