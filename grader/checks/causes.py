"""Why a check did not pass, as stable codes that group a class's failures.

Messages carry the submission's numbers, so two students with the same mistake get two
different messages; the cause code each failing check puts in its ``data["cause"]`` is
the same for both. The class report counts students by code and shows its words. A code
never changes meaning once released: add a new one instead.
"""

from __future__ import annotations

from typing import Any

CAUSES: dict[str, str] = {
    # the call itself did not give a value
    "missing-function": "the function is not defined (or misspelt)",
    "wrong-signature": "the function cannot be called with the exercise's parameters",
    "not-implemented": "the TODO is not written yet (NotImplementedError)",
    "import-failed": "the module cannot be imported (syntax error or a crash at import)",
    "raised": "the call raised an exception",
    "crashed": "the process running the call died",
    "unsendable-return": "returned something that is not a plain value (a proxy, a generator, ...)",
    "joined-before-drain": "joined the workers before draining what they put or sent: deadlock",
    "hang-in-join": "waited in join() for a process that never ended",
    "waited-for-missing-result": "waited for a result that never came (get/recv)",
    "hang": "did not return in time",
    "sandbox-limit": "reached a sandbox limit (memory, processes, disk)",
    "record-missing": "the grader's record of the run did not come back",
    "unreadable-source": "the file could not be read",
    # correctness
    "wrong-result": "returned wrong values",
    "wrong-result-shape": "returned the wrong type or shape",
    "wrong-order": "results not in input order",
    "not-sorted": "results right but not sorted",
    "missing-results": "results missing",
    "wrong-empty-result": "wrong result for empty input",
    "wrong-output": "printed the wrong lines",
    "wrong-exit-codes": "returned the wrong exit codes",
    "exit-codes-not-propagated": "did not return the children's real exit codes",
    "worker-protocol": "the worker function does not follow its protocol (sentinel, replies)",
    "wrong-replies": "replies wrong or out of order",
    # processes
    "ran-in-caller": "did the work in the calling process, not in a child",
    "caller-did-work": "the calling process did part of the work itself",
    "not-in-own-process": "the functions did not each run in a process of their own",
    "too-few-workers": "fewer distinct worker processes than asked for",
    "too-few-processes": "started fewer processes than asked for",
    "wrong-pool-size": "the pool did not have the asked number of processes",
    "forged-pids": "reported pids of processes that never existed",
    "pid-misattributed": "credited a task to a process that did not run it",
    "pid-never-slept": "credited a task to a process never seen working",
    "sleeps-in-caller": "the tasks' work ran in the calling process while workers idled",
    "tasks-not-in-workers": "the worker processes did not do the tasks' work",
    "no-child-answered": "no child process answered",
    "child-not-worker-function": "a child answered, but not by running the worker function",
    "worker-never-ran": "the worker function never ran",
    "empty-chunks": "the work was split into empty chunks",
    "uneven-chunks": "the chunks do not cover the input evenly, one per process",
    "cpu-not-spread": "the CPU-bound work did not run in the child processes",
    "busy-without-work": "child processes burnt CPU without doing the work",
    # concurrency and speedup
    "not-concurrent": "the processes ran one after another, not at the same time",
    "waited-between-submits": "waited for each result before submitting the next task",
    "no-speedup": "not faster in parallel than serially",
    # safety
    "lost-updates": "lost updates: a read-modify-write without a lock",
    "unlocked-writes": "changed the shared value without holding its lock",
    "counter-never-written": "never wrote the shared counter",
    # cleanup
    "left-running": "child processes still running when the call returned",
    "did-not-return": "cleanup could not be judged: the call did not return",
    # api
    "api-not-used": "did not use the API the exercise teaches",
    # given by the grader when a check names none
    "other": "other",
}


def words(code: str) -> str:
    """What a code means, in a few words (the code itself if unknown: a newer grader's)."""
    return CAUSES.get(code, code)


def of(data: dict[str, Any], status: str) -> str | None:
    """The cause of a check's outcome: its own code, ``other`` for a failure without one,
    None for a check that passed or was skipped."""
    if status not in ("failed", "error"):
        return None
    code = data.get("cause")
    return code if isinstance(code, str) and code else "other"
