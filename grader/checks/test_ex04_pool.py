"""Checks of ex04_pool: multiprocessing.Pool.map."""

from __future__ import annotations

import random
from typing import Any

import pytest

from grader.checks import speedup
from grader.checks.support import (
    Call,
    CheckFailed,
    Submission,
    check_nothing_left,
    check_uses,
    primes_below,
    skip,
    value_of,
)
from grader.verdicts import Decision

EXERCISE = "ex04_pool"
LIMITS = [135_000, 150_000, 125_000, 140_000]
WORKERS = 2
SQUARE_PROCESSES = 4
NUMBERS = random.Random(4).sample(range(-5_000, 5_000), 3_000)


@pytest.fixture(scope="module")
def primes(submission: Submission) -> speedup.Measurement:
    return speedup.measure(submission, "pool_count_primes", LIMITS, WORKERS)


def parallel_value(measurement: speedup.Measurement, submission: Submission) -> Any:
    if measurement.broken is not None:
        value_of(measurement.broken, measurement.broken_what, submission.exercise)
    return measurement.parallel[0].value


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
        )


@pytest.mark.check("pool-count-primes", "correctness", 1)
def test_pool_count_primes(submission: Submission, primes: speedup.Measurement) -> None:
    value = parallel_value(primes, submission)
    wanted = [primes_below(limit) for limit in LIMITS]
    if value != wanted:
        raise CheckFailed(f"pool_count_primes({LIMITS}) should return {wanted}; got {value!r}")


@pytest.mark.check("empty-inputs", "correctness", 1)
def test_empty_inputs(submission: Submission) -> None:
    names = ("pool_squares", "pool_count_primes")
    for name, result in zip(names, submission.calls(*(Call(name, ([],)) for name in names)), strict=False):
        value = value_of(result, f"{name}([])", submission.exercise)
        if value != []:
            raise CheckFailed(f"{name}([]) should return []; it returned {value!r}")


@pytest.mark.check("pool-workers", "processes", 2)
def test_pool_workers(
    submission: Submission, primes: speedup.Measurement, start_method: str, evidence: dict[str, Any]
) -> None:
    result = squares_run(submission)
    value_of(result, "pool_squares(...)", submission.exercise)
    if len(result.workers()) < SQUARE_PROCESSES:
        raise CheckFailed(
            f"pool_squares(..., processes={SQUARE_PROCESSES}) should run a pool of "
            f"{SQUARE_PROCESSES} worker processes; the grader saw {len(result.workers())}: "
            "pass processes to Pool(processes)"
        )
    parallel_value(primes, submission)
    spread = speedup.cpu_spread_of(primes, min(WORKERS, len(LIMITS)))
    evidence.update(
        worker_cpu_s=round(spread.worker_cpu_s, 3),
        main_cpu_s=round(spread.main_cpu_s, 3),
        busy_workers=spread.busy_workers,
        square_workers=len(result.workers()),
    )
    if not spread.ok:
        raise CheckFailed(f"{spread.reason}: let pool.map run count_primes_below in the pool's workers")


@pytest.mark.check("cpu-speedup", "speedup", 3)
def test_cpu_speedup(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    parallel_value(primes, submission)
    evidence.update(primes.figures())
    verdict = primes.verdict
    assert verdict is not None
    if verdict.decision is Decision.SKIP:
        skip(verdict.reason)
    if verdict.decision is not Decision.PASS:
        raise CheckFailed(
            f"pool_count_primes with {WORKERS} processes was not faster than counting one limit after "
            f"another: {verdict.reason}. Use Pool(processes).map so the limits are counted at once"
        )


@pytest.mark.check("pool-closed", "cleanup", 2)
def test_pool_closed(submission: Submission, primes: speedup.Measurement, evidence: dict[str, Any]) -> None:
    parallel_value(primes, submission)
    evidence.update(check_nothing_left(primes.parallel[0], "pool_count_primes"))
    check_nothing_left(squares_run(submission), "pool_squares")


@pytest.mark.check("uses-pool-map", "api", 1)
def test_uses_pool_map(submission: Submission) -> None:
    check_uses(
        submission.source(), ["Pool", ".map"], "create a multiprocessing.Pool and call pool.map(function, inputs)"
    )
