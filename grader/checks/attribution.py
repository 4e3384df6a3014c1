"""Who did the work: judging the processes credited with it against what was observed.

A submission can start real worker processes and still do the work in the calling
process, crediting the results to the workers' real pids (decoys). These helpers decide,
from evidence the submission cannot bend, whether the work really ran where it is said
to have run:

- sleeps: the outside observer samples ``/proc/PID/syscall`` and counts the time each
  process sat in a sleep during the call; the tasks' injected sleeps must add up in
  the workers, not in the caller. The sandbox also notes which process slept for which
  task ``n`` (inside evidence, used to name the mismatch, never alone to pass);
- CPU: see :mod:`grader.checks.speedup` (per-process CPU from ``/proc``);
- calls of the student's worker functions: see :func:`check_calls_in_workers`.
"""

from __future__ import annotations

from typing import Any

from grader.checks.support import CheckFailed
from grader.sandbox.results import RunResult, SleepSpec

# The workers must show at least this share of the tasks' sleep, the caller at most this
# share: wide margins, since sampling every 10 ms under load sees sleeps coarsely.
WORKER_SHARE = 0.5
CALLER_SHARE = 0.35


def task_seconds(spec: SleepSpec, tasks: list[int]) -> float:
    """How long the tasks' injected sleeps take one after another."""
    return sum(spec.magic * spec.factors.get(n, 1.0) for n in tasks)


def check_sleeps(
    result: RunResult, spec: SleepSpec, tasks: list[int], credited: list[int] | None, what: str, advice: str
) -> dict[str, Any]:
    """The tasks' sleeps ran in worker processes, and each task in the process credited with it."""
    expected = task_seconds(spec, tasks)
    caller = result.slept(result.main_own_pid)
    workers = {pid: result.slept(pid) for pid in sorted(result.worker_own_pids())}
    data: dict[str, Any] = {
        "task_sleep_s": round(expected, 3),
        "caller_slept_s": round(caller, 3),
        "workers_slept_s": round(sum(workers.values()), 3),
        "evidence": "outside: time each process sat in a sleep, sampled from /proc",
    }
    if caller >= CALLER_SHARE * expected:
        raise CheckFailed(
            f"{len(workers)} worker process(es) ran, but the sleeps of the {len(tasks)} tasks ran in the calling "
            f"process (pid {result.main_own_pid}, {caller:.2f} s of {expected:.2f} s): {advice}",
            **data,
            cause="sleeps-in-caller",
        )
    if sum(workers.values()) < WORKER_SHARE * expected:
        raise CheckFailed(
            f"the worker processes slept {sum(workers.values()):.2f} s in all, but the {len(tasks)} tasks of {what} "
            f"sleep {expected:.2f} s: the tasks did not run in them. {advice}",
            **data,
            cause="tasks-not-in-workers",
        )
    if credited is not None and result.task_sleepers:
        data["evidence"] += "; who slept for which task: inside record"
        for n, pid in zip(tasks, credited, strict=False):
            slept_in = result.task_sleepers.get(n)
            if slept_in and pid not in slept_in:
                raise CheckFailed(
                    f"the task for {n} was credited to pid {pid}, but it slept in pid "
                    f"{', '.join(map(str, slept_in))}: return os.getpid() from the process that does the task",
                    **data,
                    cause="pid-misattributed",
                )
            if slept_in and workers.get(pid, 0.0) <= 0.0:
                raise CheckFailed(
                    f"the task for {n} was credited to pid {pid}, which the grader never saw sleeping: {advice}",
                    **data,
                    cause="pid-never-slept",
                )
    return data
