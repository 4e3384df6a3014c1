"""Checks of ex07_value: the race in ``counter.value += 1`` and its fix."""

from __future__ import annotations

import math
from typing import Any

import pytest

from grader.checks.schedule import inherent
from grader.checks.support import CheckFailed, Submission, SubmissionError, check_nothing_left, skip, value_of
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD
from grader.verdicts import Decision, judge_overlap, overlap_samples

EXERCISE = "ex07_value"
# Every read of the value pauses: a thousand short windows per process, each a sleep in which
# the other process reads the same value, even on a core they share; with a start barrier the
# processes overlap whatever the start method, and other runs beside them cannot keep them apart.
AMPLIFY = {"value_pause": 1e-5}
STRESS = (2, 1_000)
PLAIN = (4, 10_000)
LIFETIME = {"child_pause": 0.25}
LOCKED_TIMES = 50
FIX = "guard the read-modify-write with `with counter.get_lock():` around `counter.value += 1`"


def lost_message(what: str, n_procs: int, times: int, got: Any) -> str:
    expected = n_procs * times
    if not isinstance(got, int):
        return f"{what} should return an int; it returned {got!r}"
    return (
        f"expected {expected} after {n_procs} processes x {times} increments, got {got} "
        f"(lost {expected - got} updates): `counter.value += 1` reads, adds and writes in three steps, "
        f"and another process can write in between: {FIX}"
    )


def count_run(submission: Submission, n_procs: int, times: int, stressed: bool) -> Any:
    """Stressed: pauses widen the race window and a start barrier makes the processes overlap."""
    amplify, barrier = (AMPLIFY, n_procs) if stressed else (None, 0)
    return submission.call("parallel_count", n_procs, times, amplify=amplify, barrier=barrier, timeout=60)


def stressed_count_run(submission: Submission) -> Any:
    return count_run(submission, *STRESS, stressed=True)


def plain_count_run(submission: Submission) -> Any:
    return count_run(submission, *PLAIN, stressed=False)


def increment_run(submission: Submission) -> Any:
    n_procs, times = STRESS
    return submission.driver("parallel_increment", n_procs, times, amplify=AMPLIFY, barrier=n_procs, timeout=60)


def side_run(submission: Submission) -> Any:
    return submission.call("parallel_count", 3, 200, amplify=LIFETIME, timeout=60, watch=("increment",))


def locked_run(submission: Submission) -> Any:
    return submission.driver("locked_updates", LOCKED_TIMES, timeout=30)


@pytest.mark.check("no-lost-updates", "safety", 5)
def test_no_lost_updates(submission: Submission, evidence: dict[str, Any]) -> None:
    for (n_procs, times), amplify in ((STRESS, AMPLIFY), (PLAIN, None)):
        result = count_run(submission, n_procs, times, stressed=amplify is not None)
        got = value_of(result, f"parallel_count({n_procs}, {times})", submission.exercise)
        evidence[f"parallel_count({n_procs},{times})"] = got
        if got != n_procs * times:
            raise CheckFailed(
                lost_message("parallel_count", n_procs, times, got),
                expected=n_procs * times,
                got=got,
                stressed=amplify is not None,
                cause="lost-updates",
            )


@pytest.mark.check("increment-exact", "safety", 3)
def test_increment_exact(submission: Submission, evidence: dict[str, Any]) -> None:
    n_procs, times = STRESS
    result = increment_run(submission)
    got = value_of(result, "increment(counter, times) in two processes", submission.exercise)
    evidence["got"] = got
    if got != n_procs * times:
        raise CheckFailed(
            lost_message("increment", n_procs, times, got), expected=n_procs * times, got=got, cause="lost-updates"
        )


@pytest.mark.check("side-by-side", "concurrency", 1)
def test_side_by_side(submission: Submission, evidence: dict[str, Any]) -> None:
    result = side_run(submission)
    value_of(result, "parallel_count(3, 200)", submission.exercise)
    ran_in = [c.pid for c in result.calls if c.fn == "increment"]
    evidence["increment_ran_in"] = len(set(ran_in))
    if result.main_own_pid in ran_in or (ran_in and len(set(ran_in) & result.worker_own_pids()) < 3):
        raise CheckFailed(
            f"increment should run once in each of the 3 processes; it ran {ran_in.count(result.main_own_pid)} "
            f"time(s) in the calling process and in {len(set(ran_in) - {result.main_own_pid})} child process(es)",
            cause="not-in-own-process",
        )
    overlap = overlap_samples([(p.first_seen, p.last_seen) for p in result.workers()])
    possible = overlap_samples([p.possible_lifetime() for p in result.workers()])
    needed = 0.4 * LIFETIME["child_pause"]
    evidence.update(
        overlap_s=round(overlap, 3), possible_overlap_s=round(possible, 3) if math.isfinite(possible) else None
    )
    decision = judge_overlap(overlap, possible, needed)
    if decision is Decision.SKIP:
        skip(
            f"the machine was too busy for the grader to see whether the counting processes ran at the same "
            f"time: between its samples they overlapped at least {overlap:.2f} s and at most {possible:.2f} s "
            f"(needs {needed:.2f} s); grade again on a quieter machine"
        )
    if decision is Decision.FAIL:
        raise CheckFailed(
            "the counting processes never ran at the same time: start all of them first, then join "
            "them all (starting and joining one at a time is not a fix for the race)",
            cause="not-concurrent",
        )


@pytest.mark.check("children-exited", "cleanup", 1)
def test_children_exited(submission: Submission, evidence: dict[str, Any]) -> None:
    n_procs, times = PLAIN
    evidence.update(check_nothing_left(count_run(submission, n_procs, times, stressed=False), "parallel_count"))


@pytest.mark.check("uses-get-lock", "api", 2)
def test_uses_get_lock(submission: Submission, evidence: dict[str, Any]) -> None:
    """The counter's own lock (what get_lock() returns) held at every write of the counter,
    whether through ``.value`` or the raw ``get_obj()``: once per increment or over a batch."""
    times = LOCKED_TIMES
    result = locked_run(submission)
    seen = value_of(result, f"increment(counter, {times})", submission.exercise)
    if not isinstance(seen, dict):
        raise SubmissionError("the grader's record of increment's writes did not come back", cause="record-missing")
    evidence.update(seen, evidence="inside: the sandbox counted the writes and whether the lock was held")
    touched = seen.get("writes", 0) + seen.get("raw_access", 0)
    unguarded = seen.get("unguarded_writes", 0) + seen.get("unguarded_raw_access", 0)
    if touched == 0:
        raise CheckFailed(
            f"increment(counter, {times}) never wrote counter.value (nor counter.get_obj()): {FIX}",
            cause="counter-never-written",
        )
    if unguarded:
        raise CheckFailed(
            f"increment(counter, {times}) changed the counter {unguarded} time(s) without holding its lock "
            f"(of {touched} accesses): {FIX}",
            cause="unlocked-writes",
        )


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(STRESS[1] * AMPLIFY["value_pause"] + CHILD)(stressed_count_run),  # one paused read per increment
    inherent(CHILD)(plain_count_run),
    inherent(STRESS[1] * AMPLIFY["value_pause"] + CHILD)(increment_run),
    inherent(LIFETIME["child_pause"])(side_run),
    locked_run,
)
