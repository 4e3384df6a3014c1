"""Checks of ex02_executor_submit: submit() on a ProcessPoolExecutor."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks.api import ApiRule, check_api
from grader.checks.attribution import check_sleeps
from grader.checks.schedule import inherent, makespan
from grader.checks.support import (
    MAGIC_DELAY,
    CheckFailed,
    Submission,
    check_nothing_left,
    check_reported_pids,
    rendezvous,
    value_of,
)
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD

EXERCISE = "ex02_executor_submit"
NUMBERS = [9, 2, 7, 4, 11, 5, 3, 8]
WORKERS = 4
SLEEP = rendezvous(NUMBERS, WORKERS)


def all_run(submission: Submission) -> Any:
    return submission.call("submit_all", NUMBERS, MAGIC_DELAY, WORKERS, sleep=SLEEP)


PAIR_SLEEP = rendezvous([7], 2)


def pair_run(submission: Submission) -> Any:
    return submission.call("square_and_cube", 7, MAGIC_DELAY, 2, sleep=PAIR_SLEEP)


def empty_run(submission: Submission) -> Any:
    return submission.call("submit_all", [], 0.01, WORKERS)


def _pairs(value: Any, what: str) -> list[tuple[int, int]]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v) for v in value
    ):
        raise CheckFailed(
            f"{what} should give (value, pid) tuples of two ints; got {str(value)[:200]}", cause="wrong-result-shape"
        )
    return list(value)


@pytest.mark.check("square-and-cube", "correctness", 2)
def test_square_and_cube(submission: Submission) -> None:
    value = value_of(pair_run(submission), "square_and_cube(7, ...)", submission.exercise)
    pairs = _pairs(value, "square_and_cube")
    if not isinstance(value, tuple) or len(pairs) != 2 or [p[0] for p in pairs] != [49, 343]:
        raise CheckFailed(
            f"square_and_cube(7) should return ((49, pid), (343, pid)); it returned {value!r}", cause="wrong-result"
        )


@pytest.mark.check("results-in-input-order", "correctness", 2)
def test_results_in_input_order(submission: Submission) -> None:
    value = value_of(all_run(submission), "submit_all(...)", submission.exercise)
    got = [v for v, _ in _pairs(value, "submit_all")]
    wanted = [n * n for n in NUMBERS]
    if got != wanted:
        hint = (
            " (that is completion order: keep the futures in a list and call .result() on each in turn)"
            if sorted(got) == sorted(wanted)
            else ""
        )
        raise CheckFailed(
            f"submit_all({NUMBERS}) should give squares {wanted} in input order; got {got}{hint}", cause="wrong-order"
        )


@pytest.mark.check("empty-input", "correctness", 1)
def test_empty_input(submission: Submission) -> None:
    value = value_of(empty_run(submission), "submit_all([])", submission.exercise)
    if value != []:
        raise CheckFailed(f"submit_all([]) should return []; it returned {value!r}", cause="wrong-empty-result")


@pytest.mark.check("distinct-workers", "processes", 2)
def test_distinct_workers(submission: Submission, evidence: dict[str, Any]) -> None:
    value = value_of(all_run(submission), "submit_all(...)", submission.exercise)
    pids = [p for _, p in _pairs(value, "submit_all")]
    evidence.update(check_reported_pids(all_run(submission), pids, WORKERS))
    advice = "submit slow_square(n, delay) to the executor so that each task sleeps in a worker"
    evidence.update(check_sleeps(all_run(submission), SLEEP, NUMBERS, pids, "submit_all", advice))
    pair = value_of(pair_run(submission), "square_and_cube(7, ...)", submission.exercise)
    pair_pids = [p for _, p in _pairs(pair, "square_and_cube")]
    check_reported_pids(pair_run(submission), pair_pids, 2)
    check_sleeps(pair_run(submission), PAIR_SLEEP, [7, 7], pair_pids, "square_and_cube", advice)


@pytest.mark.check("tasks-overlap", "concurrency", 1)
def test_tasks_overlap(submission: Submission, evidence: dict[str, Any]) -> None:
    result = all_run(submission)
    value_of(result, "submit_all(...)", submission.exercise)
    serial = sum(MAGIC_DELAY * SLEEP.factors[n] for n in NUMBERS)
    longest = max(MAGIC_DELAY * SLEEP.factors[n] for n in NUMBERS)
    ready = sorted(p.first_seen for p in result.workers())[:WORKERS]
    begin = max([result.started_at or 0.0, *ready])
    busy = (result.returned_at or 0.0) - begin
    evidence.update(busy_s=round(busy, 3), one_after_another_s=round(serial, 3), workers=len(result.workers()))
    if len(ready) < WORKERS or (result.wall_s or 0.0) < longest:
        raise CheckFailed(
            f"the tasks did not run in {WORKERS} worker processes (the grader saw {len(ready)} child "
            f"process(es) and the call took {result.wall_s or 0.0:.2f} s, less than one task's "
            f"{longest:.2f} s sleep): submit slow_square for every number to the executor",
            cause="too-few-workers",
        )
    if busy > 0.85 * serial:
        raise CheckFailed(
            f"with {WORKERS} workers ready, the {len(NUMBERS)} tasks took {busy:.2f} s; one after "
            f"another they take {serial:.2f} s: submit every task before waiting for any result",
            cause="waited-between-submits",
        )


@pytest.mark.check("workers-gone", "cleanup", 1)
def test_workers_gone(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(all_run(submission), "submit_all"))
    check_nothing_left(pair_run(submission), "square_and_cube")


# submit() called by the submission itself on a concurrent.futures executor (not the
# submit that Executor.map makes internally).
SUBMITTED = ApiRule(
    frozenset({"ProcessPoolExecutor.submit", "ThreadPoolExecutor.submit"}),
    "called submit() on an executor",
    source=frozenset({"concurrent.futures.ProcessPoolExecutor.submit"}),
)


@pytest.mark.check("uses-submit", "api", 1)
def test_uses_submit(submission: Submission, evidence: dict[str, Any]) -> None:
    advice = "create a ProcessPoolExecutor and hand it each task with executor.submit(function, *args)"
    for what, result in (("square_and_cube", pair_run(submission)), ("submit_all", all_run(submission))):
        evidence[what] = check_api(result, what, submission, SUBMITTED, advice).get("used")


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(MAGIC_DELAY * PAIR_SLEEP.factors[7] + CHILD)(pair_run),
    inherent(makespan([MAGIC_DELAY * SLEEP.factors[n] for n in NUMBERS], WORKERS) + CHILD)(all_run),
    empty_run,
)
