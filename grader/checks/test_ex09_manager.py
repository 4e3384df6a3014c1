"""Checks of ex09_manager: a managed list and a managed dict."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from grader.checks.api import CONTEXT, ApiRule, check_api
from grader.checks.schedule import alone, inherent
from grader.checks.support import (
    CheckFailed,
    Submission,
    check_empty_inputs,
    check_nothing_left,
    empty_runs,
    value_of,
)
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD

EXERCISE = "ex09_manager"
NUMBERS = random.Random(9).sample(range(-500, 500), 40)
PROCS = 4
WORDS = random.Random(19).choices(["cat", "dog", "emu", "yak", "owl", "ant"], k=60)
STRESS_WORDS = random.Random(29).choices(["red", "green", "blue"], k=240)
# A read of one key pauses 2 ms; a read of the whole dict (copy, items, keys, values), which
# racy code makes once or a few times per process, 50 ms: long enough that the other
# process reads the same state in between even on a busy machine.
AMPLIFY = {"dict_pause": 0.002, "dict_bulk_pause": 0.05}
LIFETIME = {"child_pause": 0.15}
EMPTY: dict[str, Any] = {"gather_squares": [], "count_words": {}}


def gather_run(submission: Submission, amplify: dict[str, float] | None = None) -> Any:
    return submission.call("gather_squares", NUMBERS, PROCS, amplify=amplify)


def words_run(submission: Submission) -> Any:
    return submission.call("count_words", WORDS, 2)


def stressed_words_run(submission: Submission) -> Any:
    # The machine alone: no other run of ours keeps the two processes from running together.
    return submission.call("count_words", STRESS_WORDS, 2, amplify=AMPLIFY, barrier=2, timeout=60, exclusive=True)


def watched_gather_run(submission: Submission) -> Any:
    return submission.call("gather_squares", NUMBERS, PROCS, amplify=LIFETIME, watch=("add_square",))


def empty_inputs_run(submission: Submission) -> Any:
    return empty_runs(submission, EMPTY)


def _plain(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise CheckFailed(
            f"{what} should return a plain {kind.__name__}; it returned {type(value).__name__}",
            cause="unsendable-return",
        )
    return value


@pytest.mark.check("gather-squares", "correctness", 2)
def test_gather_squares(submission: Submission) -> None:
    value = _plain(value_of(gather_run(submission), "gather_squares(...)", submission.exercise), list, "gather_squares")
    wanted = sorted(n * n for n in NUMBERS)
    if value != wanted:
        raise CheckFailed(
            f"gather_squares of {len(NUMBERS)} numbers should return their squares sorted; got "
            f"{len(value)} values{' (not sorted)' if sorted(value) == wanted else ''}",
            cause="wrong-result",
        )


@pytest.mark.check("count-words", "correctness", 2)
def test_count_words(submission: Submission) -> None:
    value = _plain(value_of(words_run(submission), "count_words(...)", submission.exercise), dict, "count_words")
    if value != dict(Counter(WORDS)):
        raise CheckFailed(f"count_words should return {dict(Counter(WORDS))}; got {value}", cause="wrong-result")


@pytest.mark.check("empty-inputs", "correctness", 1)
def test_empty_inputs(submission: Submission) -> None:
    check_empty_inputs(submission, EMPTY)


@pytest.mark.check("count-words-exact", "safety", 3)
def test_count_words_exact(submission: Submission, evidence: dict[str, Any]) -> None:
    result = stressed_words_run(submission)
    value = _plain(value_of(result, "count_words(...)", submission.exercise), dict, "count_words")
    wanted = Counter(STRESS_WORDS)
    lost = {w: wanted[w] - value.get(w, 0) for w in wanted if value.get(w, 0) != wanted[w]}
    evidence["wall_s"] = round(result.wall_s or 0.0, 3)
    if lost:
        raise CheckFailed(
            f"with 2 processes counting {len(STRESS_WORDS)} words, counts came out wrong by {lost}: "
            "`d[w] = d.get(w, 0) + 1` reads and writes in two proxy calls and another process can write in between. "
            "Count each share locally (collections.Counter) and merge it under a manager.Lock(), or hold such a lock "
            "around each read-modify-write",
            lost=lost,
            cause="lost-updates",
        )


@pytest.mark.check("processes-did-it", "processes", 2)
def test_processes_did_it(submission: Submission, evidence: dict[str, Any]) -> None:
    result = watched_gather_run(submission)
    value_of(result, "gather_squares(...)", submission.exercise)
    seen = len(result.workers())
    evidence["child_processes"] = seen
    if seen < PROCS + 1:
        raise CheckFailed(
            f"gather_squares(..., n_procs={PROCS}) should start {PROCS} processes besides the "
            f"manager's server; the grader saw {seen} child process(es) in all",
            cause="too-few-processes",
        )
    calls = [c for c in result.calls if c.fn == "add_square"]
    if not calls:
        evidence["appends"] = "no call of add_square was recorded"
        return
    by_caller = sum(1 for c in calls if c.pid == result.main_own_pid)
    workers = {c.pid for c in calls if c.pid != result.main_own_pid} & result.worker_own_pids()
    evidence.update(appends_by_caller=by_caller, appending_workers=len(workers), evidence="inside: calls of add_square")
    if by_caller:
        raise CheckFailed(
            f"the workers made {len(calls) - by_caller} of the {len(calls)} calls of add_square; the calling process "
            f"(pid {result.main_own_pid}) made {by_caller}: let each process call add_square for its share",
            cause="caller-did-work",
        )
    if len(workers) < PROCS:
        raise CheckFailed(
            f"add_square ran in {len(workers)} child process(es); split the {len(NUMBERS)} numbers among "
            f"{PROCS} processes",
            cause="too-few-workers",
        )


@pytest.mark.check("manager-shut-down", "cleanup", 1)
def test_manager_shut_down(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(gather_run(submission), "gather_squares"))
    check_nothing_left(words_run(submission), "count_words")


# A manager server started by the submission: Manager(), a SyncManager or a BaseManager
# subclass, started explicitly or by a `with` block.
MANAGER_STARTED = ApiRule(
    frozenset({"BaseManager.start"}),
    "started a manager",
    entries=frozenset({CONTEXT + "Manager", "multiprocessing/managers.py:__enter__"}),
    source=frozenset({"multiprocessing.Manager", "multiprocessing.SyncManager.start", "multiprocessing.SyncManager"}),
)


@pytest.mark.check("uses-manager", "api", 1)
def test_uses_manager(submission: Submission, evidence: dict[str, Any]) -> None:
    advice = "create the shared containers with multiprocessing.Manager(): manager.list() and manager.dict()"
    for what, result in (
        ("gather_squares", gather_run(submission)),
        ("count_words", words_run(submission)),
    ):
        evidence[what] = check_api(result, what, submission, MANAGER_STARTED, advice).get("used")


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(CHILD)(gather_run),
    inherent(CHILD)(words_run),
    empty_inputs_run,
    # each process reads the shared dict once per word of its half
    alone(inherent(len(STRESS_WORDS) // 2 * AMPLIFY["dict_pause"] + CHILD)(stressed_words_run)),
    inherent(LIFETIME["child_pause"])(watched_gather_run),
)
