"""Checks of ex04_pool: multiprocessing.Pool.map."""

from __future__ import annotations

import random
from typing import Any

import pytest

from grader.checks import schedule, speedup
from grader.checks.api import ApiRule, check_api
from grader.checks.schedule import inherent
from grader.checks.support import (
    CheckFailed,
    Submission,
    check_empty_inputs,
    check_nothing_left,
    empty_runs,
    primes_below,
    value_of,
)
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD

EXERCISE = "ex04_pool"
LIMITS = [135_000, 150_000, 125_000, 140_000]
WORKERS = 2
SQUARE_PROCESSES = 4
EMPTY: dict[str, Any] = {"pool_squares": [], "pool_count_primes": []}
NUMBERS = random.Random(4).sample(range(-5_000, 5_000), 3_000)


@pytest.fixture(scope="module")
def primes(submission: Submission) -> speedup.Measurement:
    return measurement(submission)


@schedule.alone
def measurement(submission: Submission) -> speedup.Measurement:
    return speedup.measure(submission, "pool_count_primes", LIMITS, WORKERS)


def empty_inputs_run(submission: Submission) -> Any:
    return empty_runs(submission, EMPTY)


def squares_run(submission: Submission) -> Any:
    return submission.call("pool_squares", NUMBERS, SQUARE_PROCESSES)


@pytest.mark.check("pool-squares", "correctness", 2)
def test_pool_squares(submission: Submission) -> None:
    value = value_of(squares_run(submission), "pool_squares(...)", submission.exercise)
    wanted = [n * n for n in NUMBERS]
    if value != wanted:
        first = (
            next(
                (i for i, (a, b) in enumerate(zip(value, wanted, strict=False)) if a != b), min(len(value), len(wanted))
            )
            if isinstance(value, list)
            else 0
        )
        raise CheckFailed(
            f"pool_squares of {len(NUMBERS)} numbers should return their squares in input order; "
            f"the result differs first at index {first}",
            got_length=len(value) if isinstance(value, list) else None,
            cause="wrong-result",
        )


@pytest.mark.check("pool-count-primes", "correctness", 1)
def test_pool_count_primes(submission: Submission, primes: speedup.Measurement) -> None:
    value = speedup.returned_value(primes, submission)
    wanted = [primes_below(limit) for limit in LIMITS]
    if value != wanted:
        raise CheckFailed(f"pool_count_primes({LIMITS}) should return {wanted}; got {value!r}", cause="wrong-result")


@pytest.mark.check("empty-inputs", "correctness", 1)
def test_empty_inputs(submission: Submission) -> None:
    check_empty_inputs(submission, EMPTY)


@pytest.mark.check("pool-workers", "processes", 2)
def test_pool_workers(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    result = squares_run(submission)
    value_of(result, "pool_squares(...)", submission.exercise)
    if len(result.workers()) < SQUARE_PROCESSES:
        raise CheckFailed(
            f"pool_squares(..., processes={SQUARE_PROCESSES}) should run a pool of "
            f"{SQUARE_PROCESSES} worker processes; the grader saw {len(result.workers())}: "
            "pass processes to Pool(processes)",
            cause="wrong-pool-size",
        )
    evidence["square_workers"] = len(result.workers())
    speedup.returned_value(primes, submission)
    speedup.check_cpu_spread(
        primes, min(WORKERS, len(LIMITS)), evidence, "let pool.map run count_primes_below in the pool's workers"
    )


@pytest.mark.check("cpu-speedup", "speedup", 3)
def test_cpu_speedup(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    speedup.check_speedup(
        primes,
        evidence,
        f"pool_count_primes with {WORKERS} processes",
        "Use Pool(processes).map so the limits are counted at once",
    )


@pytest.mark.check("pool-closed", "cleanup", 2)
def test_pool_closed(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    evidence.update(check_nothing_left(primes.parallel[0], "pool_count_primes"))
    check_nothing_left(squares_run(submission), "pool_squares")


# A Pool's mapping methods called by the submission itself (apply and apply_async do not
# count: they hand over one task at a time).
POOL_MAPPED = ApiRule(
    frozenset(f"Pool.{name}" for name in ("map", "starmap", "imap", "imap_unordered", "map_async", "starmap_async")),
    "called map() (or starmap, imap and their async forms) on a multiprocessing.Pool",
    source=frozenset(
        f"multiprocessing.Pool.{name}"
        for name in ("map", "starmap", "imap", "imap_unordered", "map_async", "starmap_async")
    ),
)


@pytest.mark.check("uses-pool-map", "api", 1)
def test_uses_pool_map(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    speedup.returned_value(primes, submission)
    advice = "create a multiprocessing.Pool and call pool.map(function, inputs)"
    for what, result in (("pool_squares", squares_run(submission)), ("pool_count_primes", primes.parallel[0])):
        evidence[what] = check_api(result, what, submission, POOL_MAPPED, advice).get("used")


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(primes=LIMITS, workers=WORKERS, rounds=speedup.FIRST_ROUNDS)(measurement),
    inherent(CHILD)(squares_run),
    empty_inputs_run,
)
