"""Checks of ex01_process: two processes started together."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks.api import ApiRule, check_api
from grader.checks.attribution import check_sleeps
from grader.checks.schedule import inherent
from grader.checks.support import (
    Call,
    CheckFailed,
    Submission,
    check_nothing_left,
    limit_notes,
    value_of,
)
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD
from grader.sandbox.results import SleepSpec
from grader.verdicts import overlap_samples

EXERCISE = "ex01_process"
NUMBERS = [4, 7, 2, 9]
# Each function sleeps about 2 s: a correct run_both returns about 0.2 s after that on a quiet
# machine and 0.7 s after it in a batch of three gradings (starting the fork server waits for
# the cores), well under 1.6 x SPAN; one function after the other takes 2 x SPAN.
DELAY = 0.4946
SPAN = len(NUMBERS) * DELAY  # how long each of the two functions sleeps
SLEEP = SleepSpec(DELAY, k=2)  # the two functions' first sleeps wait for each other


def expected_lines(numbers: list[int]) -> tuple[list[str], list[str]]:
    return ([f"Square of {n}: {n * n}" for n in numbers], [f"Cube of {n}: {n * n * n}" for n in numbers])


def main_run(submission: Submission) -> Any:
    return submission.call("run_both", NUMBERS, DELAY, sleep=SLEEP)


@pytest.mark.check("prints-both-tables", "correctness", 2)
def test_prints_both_tables(submission: Submission, evidence: dict[str, Any]) -> None:
    result = main_run(submission)
    codes = value_of(result, "run_both(...)", submission.exercise)
    lines = [line.strip() for line in result.stdout.text.splitlines() if line.strip()]
    squares, cubes = expected_lines(NUMBERS)
    for name, wanted in (("calc_square", squares), ("calc_cube", cubes)):
        got = [line for line in lines if line in wanted]
        if got != wanted:
            raise CheckFailed(
                f"{name} should print {wanted} in that order; the output had {got[:8]}{limit_notes(result)}",
                stdout=lines[:20],
                cause="wrong-output",
            )
    if codes != [0, 0]:
        raise CheckFailed(
            f"run_both should return the exit codes [0, 0] when both succeed; it returned {codes!r}",
            cause="wrong-exit-codes",
        )
    evidence["lines"] = len(lines)


def side_runs(submission: Submission) -> Any:
    """run_both([3], -1.0) (both children crash) then run_both([]), in one sandbox."""
    return submission.calls(Call("run_both", ([3], -1.0)), Call("run_both", ([], DELAY)))


@pytest.mark.check("real-exit-codes", "correctness", 1)
def test_real_exit_codes(submission: Submission) -> None:
    result = side_runs(submission)[0]
    codes = value_of(result, "run_both([3], delay=-1.0)", submission.exercise)
    if codes != [1, 1]:
        raise CheckFailed(
            f"with delay=-1.0 both children crash (time.sleep(-1.0) raises), so run_both must return [1, 1]; "
            f"it returned {codes!r}: return [p.exitcode for each process] after joining them",
            cause="exit-codes-not-propagated",
        )


@pytest.mark.check("empty-list", "correctness", 1)
def test_empty_list(submission: Submission) -> None:
    result = side_runs(submission)[1]
    codes = value_of(result, "run_both([])", submission.exercise)
    if codes != [0, 0] or result.stdout.text.strip():
        raise CheckFailed(
            f"run_both([]) should print nothing and return [0, 0]; it returned {codes!r}", cause="wrong-empty-result"
        )


def _sleepers(result: Any) -> list[Any]:
    return sorted(result.workers(), key=lambda p: p.last_seen - p.first_seen, reverse=True)[:2]


@pytest.mark.check("two-child-processes", "processes", 2)
def test_two_child_processes(submission: Submission, evidence: dict[str, Any]) -> None:
    result = main_run(submission)
    value_of(result, "run_both(...)", submission.exercise)
    workers = result.worker_own_pids()
    sleepers = set(result.sleepers)
    evidence.update(child_processes=len(workers), sleeping_children=len(sleepers & workers))
    if result.main_own_pid in sleepers or len(sleepers & workers) < 2:
        where = (
            "the calling process" if result.main_own_pid in sleepers else f"{len(sleepers & workers)} child process(es)"
        )
        raise CheckFailed(
            f"calc_square and calc_cube should each run in a child process of its own; their sleeps ran in {where} "
            f"(the grader saw {len(workers)} child process(es)): pass each function as the target of its own "
            "multiprocessing.Process",
            cause="not-in-own-process",
        )
    advice = "run calc_square and calc_cube each in a child process; the calling process only starts and joins them"
    evidence.update(check_sleeps(result, SLEEP, NUMBERS * 2, None, "run_both", advice))


@pytest.mark.check("started-together", "concurrency", 2)
def test_started_together(submission: Submission, evidence: dict[str, Any]) -> None:
    result = main_run(submission)
    value_of(result, "run_both(...)", submission.exercise)
    overlap = overlap_samples([(p.first_seen, p.last_seen) for p in _sleepers(result)])
    wall = result.wall_s or 0.0
    evidence.update(wall_s=round(wall, 3), overlap_s=round(overlap, 3), one_after_another_s=2 * SPAN)
    if overlap < 0.5 * SPAN or wall > 1.6 * SPAN:
        raise CheckFailed(
            f"the two functions did not run at the same time: the call took {wall:.2f} s (together about "
            f"{SPAN:.1f} s, one after another {2 * SPAN:.1f} s) and the two processes overlapped {overlap:.2f} s: "
            "start both processes before joining either",
            cause="not-concurrent",
        )


@pytest.mark.check("children-exited", "cleanup", 1)
def test_children_exited(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(main_run(submission), "run_both"))


# Process.start called by run_both itself: any Process class or subclass, any context; not
# the workers that a pool, an executor or a manager starts.
PROCESS_STARTED = ApiRule(
    frozenset({"Process.start"}), "started a process itself", source=frozenset({"multiprocessing.Process.start"})
)


@pytest.mark.check("uses-process", "api", 1)
def test_uses_process(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(
        check_api(
            main_run(submission),
            "run_both",
            submission,
            PROCESS_STARTED,
            "create each process with multiprocessing.Process(target=..., args=...), then start() and join() it",
        )
    )


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(SPAN + CHILD)(main_run),  # each function sleeps DELAY per number, both at once
    inherent(2 * CHILD)(side_runs),
)
