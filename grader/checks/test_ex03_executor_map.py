"""Checks of ex03_executor_map: ProcessPoolExecutor.map, CPU-bound and sleep-bound."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks import schedule, speedup
from grader.checks.api import ApiRule, check_api
from grader.checks.attribution import check_sleeps
from grader.checks.schedule import inherent, makespan
from grader.checks.support import (
    MAGIC_DELAY,
    CheckFailed,
    Submission,
    SubmissionError,
    check_empty_inputs,
    check_nothing_left,
    check_reported_pids,
    empty_runs,
    primes_below,
    rendezvous,
    value_of,
)
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD

EXERCISE = "ex03_executor_map"
LIMITS = [140_000, 125_000, 150_000, 130_000]
WORKERS = 2
NUMBERS = [5, 3, 8, 1, 9, 6, 2, 7]
MAP_WORKERS = 4
EMPTY: dict[str, Any] = {"count_primes_parallel": [], "map_squares": []}


@schedule.alone
def measurement(submission: Submission) -> speedup.Measurement:
    return speedup.measure(submission, "count_primes_parallel", LIMITS, WORKERS)


@pytest.fixture(scope="module")
def primes(submission: Submission) -> speedup.Measurement:
    return measurement(submission)


def empty_inputs_run(submission: Submission) -> Any:
    return empty_runs(submission, EMPTY)


SQUARES_SLEEP = rendezvous(NUMBERS, MAP_WORKERS)


def squares_run(submission: Submission) -> Any:
    return submission.call("map_squares", NUMBERS, MAGIC_DELAY, MAP_WORKERS, sleep=SQUARES_SLEEP)


@pytest.mark.check("count-primes", "correctness", 2)
def test_count_primes(submission: Submission, primes: speedup.Measurement) -> None:
    value = speedup.returned_value(primes, submission)
    wanted = [primes_below(limit) for limit in LIMITS]
    if value != wanted:
        raise CheckFailed(
            f"count_primes_parallel({LIMITS}) should return {wanted} (input order); got {value!r}", cause="wrong-result"
        )


@pytest.mark.check("map-squares-in-order", "correctness", 1)
def test_map_squares_in_order(submission: Submission) -> None:
    value = value_of(squares_run(submission), "map_squares(...)", submission.exercise)
    got = [v[0] if isinstance(v, tuple) and v else v for v in value] if isinstance(value, list) else value
    if got != [n * n for n in NUMBERS] or not all(isinstance(v, tuple) and len(v) == 2 for v in value):
        raise CheckFailed(
            f"map_squares({NUMBERS}) should give (n*n, pid) tuples in input order; got {str(value)[:200]}",
            cause="wrong-order",
        )


@pytest.mark.check("empty-inputs", "correctness", 1)
def test_empty_inputs(submission: Submission) -> None:
    check_empty_inputs(submission, EMPTY)


@pytest.mark.check("workers-did-the-work", "processes", 2)
def test_workers_did_the_work(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    speedup.check_cpu_spread(
        primes, min(WORKERS, len(LIMITS)), evidence, "let executor.map run count_primes_below in the worker processes"
    )


@pytest.mark.check("map-squares-workers", "processes", 1)
def test_map_squares_workers(submission: Submission, evidence: dict[str, Any]) -> None:
    result = squares_run(submission)
    value = value_of(result, "map_squares(...)", submission.exercise)
    pids = [v[1] for v in value if isinstance(v, tuple) and len(v) == 2]
    if len(pids) != len(NUMBERS):
        raise SubmissionError("map_squares did not return one (n*n, pid) tuple per number", cause="wrong-result-shape")
    evidence.update(check_reported_pids(result, pids, MAP_WORKERS))
    advice = "let executor.map call square_with_pid in the workers, so that each sleeps and squares its own numbers"
    evidence.update(check_sleeps(result, SQUARES_SLEEP, NUMBERS, pids, "map_squares", advice))


@pytest.mark.check("cpu-speedup", "speedup", 3)
def test_cpu_speedup(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    speedup.check_speedup(
        primes,
        evidence,
        f"count_primes_parallel with {WORKERS} workers",
        "Use ProcessPoolExecutor(max_workers).map so the limits are counted in separate processes at the same time",
    )


@pytest.mark.check("workers-gone", "cleanup", 1)
def test_workers_gone(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    evidence.update(check_nothing_left(primes.parallel[0], "count_primes_parallel"))
    check_nothing_left(squares_run(submission), "map_squares")


# ProcessPoolExecutor.map called by the submission itself.
MAPPED = ApiRule(
    frozenset({"ProcessPoolExecutor.map"}),
    "called map() on a ProcessPoolExecutor",
    source=frozenset({"concurrent.futures.ProcessPoolExecutor.map"}),
)


@pytest.mark.check("uses-map", "api", 1)
def test_uses_map(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    advice = "create a ProcessPoolExecutor and call executor.map(function, inputs)"
    for what, result in (("count_primes_parallel", primes.parallel[0]), ("map_squares", squares_run(submission))):
        evidence[what] = check_api(result, what, submission, MAPPED, advice).get("used")


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(primes=LIMITS, workers=WORKERS, rounds=speedup.FIRST_ROUNDS)(measurement),
    inherent(makespan([MAGIC_DELAY * SQUARES_SLEEP.factors[n] for n in NUMBERS], MAP_WORKERS) + CHILD)(squares_run),
    empty_inputs_run,
)
