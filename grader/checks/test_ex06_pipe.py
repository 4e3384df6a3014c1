"""Checks of ex06_pipe: request and reply over a Pipe."""

from __future__ import annotations

from typing import Any

import pytest

from grader.checks.api import CONTEXT, ApiRule, check_api
from grader.checks.schedule import inherent
from grader.checks.support import CheckFailed, Submission, check_nothing_left, value_of
from grader.sandbox.results import MIN_CHILD_LIFETIME_S as CHILD

EXERCISE = "ex06_pipe"
MESSAGES = ["hello", "World", "multi processing", "straße", "ok!"]
LARGE = ["a" * 1_000_000, "b" * 1_000_000, "c" * 1_000_000]
MANY = [f"message {i}" for i in range(5_000)]
HANG_HINT = "send one message, then receive its reply, before sending the next"


def echo_run(submission: Submission) -> Any:
    return submission.call("echo_all", MESSAGES)


def _judge(value: Any, messages: list[str], what: str) -> None:
    wanted = [m.upper() for m in messages]
    if value != wanted:
        if not isinstance(value, list):
            raise CheckFailed(
                f"{what} should return a list of replies; got {type(value).__name__}", cause="wrong-result-shape"
            )
        wrong = next(
            (i for i, (a, b) in enumerate(zip(value, wanted, strict=False)) if a != b), min(len(value), len(wanted))
        )
        raise CheckFailed(
            f"{what} should return the {len(wanted)} replies message.upper() in order; got "
            f"{len(value)} replies, first difference at index {wrong}",
            cause="wrong-replies",
        )


@pytest.mark.check("echo", "correctness", 2)
def test_echo(submission: Submission) -> None:
    _judge(value_of(echo_run(submission), "echo_all(...)", submission.exercise, HANG_HINT), MESSAGES, "echo_all")


def empty_run(submission: Submission) -> Any:
    return submission.call("echo_all", [], timeout=20)


def worker_run(submission: Submission) -> Any:
    return submission.driver("echo_worker", ["ab", "Cd"], timeout=20)


def large_run(submission: Submission) -> Any:
    return submission.call("echo_all", LARGE, timeout=20)


def many_run(submission: Submission) -> Any:
    return submission.call("echo_all", MANY, timeout=20)


def watched_run(submission: Submission) -> Any:
    return submission.call("echo_all", MANY, timeout=20, watch=("echo_worker",))


@pytest.mark.check("empty-list", "correctness", 1)
def test_empty_list(submission: Submission) -> None:
    value = value_of(
        empty_run(submission),
        "echo_all([])",
        submission.exercise,
        "send None even when there are no messages, so the worker stops",
    )
    if value != []:
        raise CheckFailed(f"echo_all([]) should return []; it returned {value!r}", cause="wrong-empty-result")


@pytest.mark.check("echo-worker", "correctness", 1)
def test_echo_worker(submission: Submission) -> None:
    value = value_of(
        worker_run(submission),
        "echo_worker(conn)",
        submission.exercise,
        "answer each message with conn.send(message.upper()) and stop at None",
    )
    if value != {"replies": ["AB", "CD"], "exitcode": 0}:
        raise CheckFailed(
            f"echo_worker should answer 'ab' and 'Cd' with 'AB' and 'CD' and stop at None; got {value!r}",
            cause="worker-protocol",
        )


@pytest.mark.check("megabyte-messages", "safety", 2)
def test_megabyte_messages(submission: Submission, evidence: dict[str, Any]) -> None:
    result = large_run(submission)
    _judge(
        value_of(result, "echo_all of three 1 MB messages", submission.exercise, HANG_HINT),
        LARGE,
        "echo_all of three 1 MB messages",
    )
    evidence["wall_s"] = round(result.wall_s or 0.0, 3)


@pytest.mark.check("many-messages", "safety", 1)
def test_many_messages(submission: Submission, evidence: dict[str, Any]) -> None:
    result = many_run(submission)
    _judge(
        value_of(result, f"echo_all of {len(MANY)} messages", submission.exercise, HANG_HINT),
        MANY,
        f"echo_all of {len(MANY)} messages",
    )
    evidence["wall_s"] = round(result.wall_s or 0.0, 3)


@pytest.mark.check("child-process", "processes", 1)
def test_child_process(submission: Submission, evidence: dict[str, Any]) -> None:
    result = watched_run(submission)
    value_of(result, f"echo_all of {len(MANY)} messages", submission.exercise, HANG_HINT)
    assert result.started_at is not None and result.returned_at is not None
    # The run makes this one call, so every child's whole CPU is the call's: no boundary on the
    # grader's clock (stamped by a thread that a busy grader may wake late) decides what counts.
    busy = [p for p in result.workers() if p.cpu_s >= 0.02]
    evidence["child_processes"] = len(result.workers())
    if not busy:
        seen = [{"pid": p.pid, "cpu_s": round(p.cpu_s, 3), "samples": p.samples} for p in result.workers()]
        raise CheckFailed(
            "no child process answered the messages: start a multiprocessing.Process running "
            "echo_worker on one end of the Pipe",
            children=seen,
            cause="no-child-answered",
        )
    ran_in = {c.pid for c in result.calls if c.fn == "echo_worker"}
    evidence.update(echo_worker_ran_in=sorted(ran_in), evidence="outside: CPU per process; inside: echo_worker's calls")
    if result.main_own_pid in ran_in:
        raise CheckFailed(
            f"echo_worker ran in the calling process (pid {result.main_own_pid}), not in a child", cause="ran-in-caller"
        )
    if not ran_in & {p.own_pid for p in busy}:
        raise CheckFailed(
            f"a child process answered the {len(MANY)} messages, but not by running echo_worker: start the "
            "Process with target=echo_worker, so that the worker does the answering",
            cause="child-not-worker-function",
        )


@pytest.mark.check("child-gone", "cleanup", 1)
def test_child_gone(submission: Submission, evidence: dict[str, Any]) -> None:
    evidence.update(check_nothing_left(echo_run(submission), "echo_all"))


# A Pipe (duplex or one-way) made by the submission, from any context.
PIPE_MADE = ApiRule(
    frozenset({"Pipe"}),
    "created a Pipe",
    entries=frozenset({CONTEXT + "Pipe"}),
    source=frozenset({"multiprocessing.Pipe"}),
)


@pytest.mark.check("uses-pipe", "api", 1)
def test_uses_pipe(submission: Submission, evidence: dict[str, Any]) -> None:
    advice = "create the connection pair with multiprocessing.Pipe()"
    evidence.update(check_api(echo_run(submission), "echo_all", submission, PIPE_MADE, advice))


# The runs of these checks, for the scheduler to start ahead of them (see grader.checks.schedule),
# each with what a correct submission must sit through in it (read by benchmarks/speed.py).
PREFETCH = (
    inherent(CHILD)(echo_run),
    inherent(CHILD)(empty_run),
    inherent(CHILD)(worker_run),
    inherent(CHILD)(large_run),
    inherent(CHILD)(many_run),
    inherent(CHILD)(watched_run),
)
