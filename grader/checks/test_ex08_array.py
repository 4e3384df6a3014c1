"""Checks of ex08_array: one process per chunk of a shared Array."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks.api import CONTEXT, ApiRule, check_api
from grader.checks.schedule import inherent
from grader.checks.support import Call, CheckFailed, Submission, check_nothing_left, value_of
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD
from grader.sandbox.results import RunResult

EXERCISE = "ex08_array"
SIZE, PROCS = 1_001, 4
LIFETIME = {"child_pause": 0.15}
WATCH = ("fill_squares",)
UNEVEN = ((10, 3), (3, 4), (0, 2))  # (size, n_procs)
CHUNKED = ((SIZE, PROCS, PROCS), (3, 4, 3))  # (size, n_procs, non-empty chunks)


def _judge(value: Any, size: int, n_procs: int) -> None:
    wanted = [i * i for i in range(size)]
    if value != wanted:
        shown = str(value)[:120]
        raise CheckFailed(
            f"parallel_squares({size}, {n_procs}) should return [i*i for i in range({size})]; got {shown}",
            cause="wrong-result",
        )


def squares_run(submission: Submission) -> Any:
    return submission.call("parallel_squares", SIZE, PROCS)


def uneven_runs(submission: Submission) -> Any:
    return submission.calls(*(Call("parallel_squares", case) for case in UNEVEN))


def fill_run(submission: Submission) -> Any:
    return submission.driver("fill_range", 10, 3, 7)


def chunk_run(submission: Submission, size: int, n_procs: int) -> Any:
    return submission.call("parallel_squares", size, n_procs, amplify=LIFETIME, watch=WATCH)


def chunk_runs(submission: Submission) -> Any:
    return [chunk_run(submission, size, n_procs) for size, n_procs, _ in CHUNKED]


@pytest.mark.check("squares", "correctness", 3)
def test_squares(submission: Submission) -> None:
    _judge(
        value_of(squares_run(submission), "parallel_squares(...)", submission.exercise),
        SIZE,
        PROCS,
    )


@pytest.mark.check("uneven-and-small", "correctness", 2)
def test_uneven_and_small(submission: Submission) -> None:
    for (size, n_procs), result in zip(UNEVEN, uneven_runs(submission), strict=False):
        _judge(value_of(result, f"parallel_squares({size}, {n_procs})", submission.exercise), size, n_procs)


@pytest.mark.check("fill-range-only", "correctness", 1)
def test_fill_range_only(submission: Submission) -> None:
    value = value_of(fill_run(submission), "fill_squares(arr, 3, 7)", submission.exercise)
    wanted = [-1, -1, -1, 9, 16, 25, 36, -1, -1, -1]
    if value != wanted:
        raise CheckFailed(
            f"fill_squares(arr, 3, 7) on an array of -1s should give {wanted}; got {value}", cause="wrong-result"
        )


def _chunks(result: RunResult, size: int, n_procs: int) -> dict[str, Any]:
    """The ranges that fill_squares was called with, and in which process (inside record): one
    contiguous chunk per process, lengths within one, none filled by the caller."""
    recorded = [c for c in result.calls if c.fn == "fill_squares" and len(c.args) == 2]
    if not recorded:
        raise CheckFailed(
            f"parallel_squares({size}, {n_procs}) never ran fill_squares (the grader records each of its calls): "
            "start one Process per chunk with target=fill_squares",
            cause="worker-never-ran",
        )
    calls = [c for c in recorded if c.args[1] > c.args[0]]
    if not calls:
        raise CheckFailed(
            f"parallel_squares({size}, {n_procs}) ran fill_squares over empty ranges only", cause="empty-chunks"
        )
    ranges = sorted(c.args for c in calls)
    shown = [f"{a}..{b - 1}" for a, b in ranges[:8]]
    caller = [c.args for c in calls if c.pid == result.main_own_pid]
    if caller:
        a, b = caller[0]
        raise CheckFailed(
            f"the calling process (pid {result.main_own_pid}) ran fill_squares over {a}..{b - 1} itself: "
            "give every chunk to a process of its own",
            chunks=shown,
            cause="ran-in-caller",
        )
    lengths = [b - a for a, b in ranges]
    contiguous = (
        ranges[0][0] == 0
        and ranges[-1][1] == size
        and all(ranges[i][1] == ranges[i + 1][0] for i in range(len(ranges) - 1))
    )
    pids = {c.pid for c in calls}
    unseen = sorted(pids - result.worker_own_pids())
    if unseen:
        raise CheckFailed(
            f"fill_squares was recorded in pid(s) {', '.join(map(str, unseen))}, which the grader never saw as "
            "child processes of this run",
            chunks=shown,
            cause="forged-pids",
        )
    if (
        not contiguous
        or max(lengths) - min(lengths) > 1
        or len(ranges) != min(n_procs, size)
        or len(pids) != len(ranges)
    ):
        raise CheckFailed(
            f"parallel_squares({size}, {n_procs}) filled the chunks {', '.join(shown)} in {len(pids)} process(es); "
            f"expected {min(n_procs, size)} contiguous chunks covering 0..{size - 1} whose lengths differ by at most "
            "one, each in a process of its own (e.g. chunk k = range(k * size // n_procs, (k + 1) * size // n_procs))",
            chunks=shown,
            cause="uneven-chunks",
        )
    return {
        "chunks": shown,
        "evidence_chunks": "inside: each call of fill_squares recorded; outside: its processes observed",
    }


@pytest.mark.check("one-process-per-chunk", "processes", 2)
def test_one_process_per_chunk(submission: Submission, evidence: dict[str, Any]) -> None:
    for size, n_procs, chunks in CHUNKED:
        result = chunk_run(submission, size, n_procs)
        value_of(result, f"parallel_squares({size}, {n_procs})", submission.exercise)
        seen = len(result.workers())
        evidence[f"processes({size},{n_procs})"] = seen
        if seen != chunks:
            raise CheckFailed(
                f"parallel_squares({size}, {n_procs}) has {chunks} non-empty chunks and should start "
                f"one process for each; the grader saw {seen} child process(es)",
                cause="too-few-processes",
            )
        evidence[f"chunks({size},{n_procs})"] = _chunks(result, size, n_procs)["chunks"]


@pytest.mark.check("workers-gone", "cleanup", 1)
def test_workers_gone(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(squares_run(submission), "parallel_squares"))


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
    result = squares_run(submission)
    evidence.update(check_api(result, "parallel_squares", submission, ARRAY_MADE, advice))


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(CHILD)(squares_run),
    inherent(2 * CHILD)(uneven_runs),  # the (0, 2) case has no chunk to start a process for
    fill_run,
    inherent(len(CHUNKED) * LIFETIME["child_pause"])(chunk_runs),
)
