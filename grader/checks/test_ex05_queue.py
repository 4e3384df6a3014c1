"""Checks of ex05_queue: producer and consumers over two Queues."""

from __future__ import annotations

import random
from typing import Any

import pytest

from grader.checks.api import CONTEXT, ApiRule, check_api
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

EXERCISE = "ex05_queue"
NUMBERS = random.Random(5).sample(range(1, 1_000), 12)
WORKERS = 3
LARGE = random.Random(55).sample(range(1, 1_000_000), 20_000)
WORKER_NUMBERS = [4, 1, 3]
HANG_HINT = "take all len(numbers) results from the result queue before joining the workers"


SMALL_SLEEP = rendezvous(NUMBERS, WORKERS)


def small_run(submission: Submission) -> Any:
    return submission.call("process_all", NUMBERS, WORKERS, MAGIC_DELAY, sleep=SMALL_SLEEP)


def empty_run(submission: Submission) -> Any:
    return submission.call("process_all", [], WORKERS, timeout=20)


def worker_run(submission: Submission) -> Any:
    return submission.driver("queue_worker", WORKER_NUMBERS, 0.0, timeout=20)


def large_run(submission: Submission) -> Any:
    return submission.call("process_all", LARGE, WORKERS, 0.0, timeout=20)


def _triples(value: Any, what: str) -> list[tuple[int, int, int]]:
    if not isinstance(value, list) or not all(isinstance(v, tuple) and len(v) == 3 for v in value):
        raise CheckFailed(
            f"{what} should return a list of (n, n*n, pid) tuples; got {str(value)[:200]}", cause="wrong-result-shape"
        )
    return value


def _judge(value: Any, numbers: list[int], what: str) -> None:
    triples = _triples(value, what)
    got = [(n, sq) for n, sq, _ in triples]
    wanted = [(n, n * n) for n in sorted(numbers)]
    if got != wanted:
        if sorted(got) == wanted:
            raise CheckFailed(
                f"{what}: the results are right but not sorted by n: return sorted(results)", cause="not-sorted"
            )
        missing = len(set(wanted) - set(got))
        raise CheckFailed(
            f"{what} should return {len(wanted)} (n, n*n, pid) tuples sorted by n; got {len(got)} "
            f"tuples, {missing} expected ones missing",
            cause="missing-results",
        )


@pytest.mark.check("results", "correctness", 2)
def test_results(submission: Submission) -> None:
    _judge(value_of(small_run(submission), "process_all(...)", submission.exercise, HANG_HINT), NUMBERS, "process_all")


@pytest.mark.check("empty-list", "correctness", 1)
def test_empty_list(submission: Submission) -> None:
    value = value_of(
        empty_run(submission),
        "process_all([])",
        submission.exercise,
        "put one None per worker so every worker stops",
    )
    if value != []:
        raise CheckFailed(f"process_all([]) should return []; it returned {value!r}", cause="wrong-empty-result")


@pytest.mark.check("square-worker", "correctness", 1)
def test_square_worker(submission: Submission) -> None:
    numbers = WORKER_NUMBERS
    result = worker_run(submission)
    value = value_of(
        result, "square_worker(tasks, results)", submission.exercise, "stop the loop when the task is None"
    )
    got = sorted((t[0], t[1]) for t in _triples(value, "square_worker"))
    if got != sorted((n, n * n) for n in numbers) or any(t[2] != result.main_own_pid for t in value):
        raise CheckFailed(
            f"square_worker given tasks {numbers} then None should put (n, n*n, os.getpid()) for each; "
            f"it put {value!r}",
            cause="worker-protocol",
        )


@pytest.mark.check("distinct-workers", "processes", 2)
def test_distinct_workers(submission: Submission, evidence: dict[str, Any]) -> None:
    result = small_run(submission)
    value = _triples(value_of(result, "process_all(...)", submission.exercise, HANG_HINT), "process_all")
    evidence.update(check_reported_pids(result, [t[2] for t in value], WORKERS))
    advice = "let each worker take n from the task queue, sleep, and put its own (n, n*n, os.getpid())"
    tasks, pids = [t[0] for t in value], [t[2] for t in value]
    evidence.update(check_sleeps(result, SMALL_SLEEP, tasks, pids, "process_all", advice))


@pytest.mark.check("no-deadlock-20000-items", "safety", 4)
def test_no_deadlock(submission: Submission, evidence: dict[str, Any]) -> None:
    result = large_run(submission)
    value = value_of(result, f"process_all of {len(LARGE)} numbers", submission.exercise, HANG_HINT)
    evidence["wall_s"] = round(result.wall_s or 0.0, 3)
    _judge(value, LARGE, f"process_all of {len(LARGE)} numbers")


@pytest.mark.check("workers-gone", "cleanup", 1)
def test_workers_gone(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(small_run(submission), "process_all"))


# A multiprocessing Queue or JoinableQueue created by the submission (from any context).
QUEUE_MADE = ApiRule(
    frozenset({"Queue", "JoinableQueue"}),
    "created a multiprocessing Queue",
    entries=frozenset({CONTEXT + "Queue", CONTEXT + "JoinableQueue", "multiprocessing/queues.py:__init__"}),
    source=frozenset({"multiprocessing.Queue", "multiprocessing.JoinableQueue"}),
)


@pytest.mark.check("uses-queue", "api", 1)
def test_uses_queue(submission: Submission, evidence: dict[str, Any]) -> None:
    advice = "make the task and result queues with multiprocessing.Queue() and start the workers as Processes"
    evidence.update(check_api(small_run(submission), "process_all", submission, QUEUE_MADE, advice))


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(makespan([MAGIC_DELAY * SMALL_SLEEP.factors[n] for n in NUMBERS], WORKERS) + CHILD)(small_run),
    inherent(CHILD)(empty_run),
    worker_run,
    inherent(CHILD)(large_run),
)
