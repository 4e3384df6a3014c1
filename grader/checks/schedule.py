"""The scheduler: every run the checks will ask for, started ahead of them, several at once.

Each check module lists in ``PREFETCH`` what its checks run (callables taking the module's
:class:`Submission`); those that need the machine alone, marked with :func:`alone`, are
listed the same way: the speedup measurements, and a race provoked through a few long
windows (ex09's stressed word count: a lag between its two processes, which other runs of
ours on two cores cause, can put the windows of one key out of step). When
pytest has collected the checks, the scheduler takes the machine alone and makes every
such run back to back in one thread, then lets a pool of ``jobs`` threads make the
shareable runs of every selected exercise and start method, in the order of the checks.
A check finds its run made, in progress (it waits for it) or not started (it makes it
itself; a scheduler's thread never waits for a run another thread is making, it moves
on). Identical runs are made once whoever asks (``Submission.once``), so the results, and
so the verdicts, do not depend on the schedule.

The host-wide lock of :mod:`grader.sandbox.machine` bounds what runs at once: at most
``jobs`` shareable runs of this grading, and nothing at all of any grading while a run
that needs the machine alone has it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from grader.checks.support import making_ahead
from grader.sandbox import machine

Planned = tuple[Any, Callable[[Any], Any]]  # (submission, run)
F = TypeVar("F", bound=Callable[..., Any])


def alone(function: F) -> F:
    """Mark a prefetched run as one that takes the machine alone (a CPU-timing measurement, or
    a race provocation); the run's own request asks for it too, for a check that makes it first."""
    function._mpgrade_alone = True  # type: ignore[attr-defined]
    return function


@dataclass(frozen=True)
class Inherent:
    """What a correct submission must sit through in a run, from the check's definition (not
    measured): the injected sleeps and pauses on its critical path, and the CPU-bound work
    (prime counting: the limits, how many processes share them, how many timed rounds)."""

    wait_s: float = 0.0
    primes: tuple[int, ...] = ()
    workers: int = 1
    rounds: int = 0  # each round: the submission's parallel run, then the grader's serial one


def inherent(wait_s: float = 0.0, primes: Sequence[int] = (), workers: int = 1, rounds: int = 0) -> Callable[[F], F]:
    """Declare a prefetched run's inherent cost (read by ``benchmarks/speed.py``)."""

    def mark(function: F) -> F:
        function._mpgrade_inherent = Inherent(wait_s, tuple(primes), workers, rounds)  # type: ignore[attr-defined]
        return function

    return mark


def inherent_of(run: Callable[[Any], Any]) -> Inherent | None:
    return getattr(run, "_mpgrade_inherent", None)


def makespan(durations: Sequence[float], workers: int) -> float:
    """The shortest time ``workers`` processes can take to get through ``durations`` (longest
    first, each to the least loaded process: the schedule a task queue gives)."""
    loads = [0.0] * max(1, workers)
    for duration in sorted(durations, reverse=True):
        loads[loads.index(min(loads))] += duration
    return max(loads)


def needs_machine_alone(run: Callable[[Any], Any]) -> bool:
    return bool(getattr(run, "_mpgrade_alone", False))


def _start(planned: Planned) -> None:
    """Make a planned run; errors are kept by the submission's cache (the check that asks gets
    them), and what another thread is making already is left to it."""
    submission, run = planned
    with making_ahead(), contextlib.suppress(Exception):
        run(submission)


class Scheduler:
    def __init__(self, jobs: int, plan: Sequence[Planned]) -> None:
        self.jobs = max(1, jobs)
        machine.configure(self.jobs)
        timed = [planned for planned in plan if needs_machine_alone(planned[1])]
        self.pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="mpgrade-run")
        self.timing: threading.Thread | None = None
        if timed:
            holding = threading.Event()
            self.timing = threading.Thread(target=self._measure, args=(timed, holding), name="mpgrade-alone")
            self.timing.start()
            holding.wait()  # the measurements have the machine before any shareable run starts
        for planned in plan:
            if not needs_machine_alone(planned[1]):
                self.pool.submit(_start, planned)

    @staticmethod
    def _measure(timed: list[Planned], holding: threading.Event) -> None:
        try:
            with machine.alone():
                holding.set()
                for planned in timed:
                    _start(planned)
        finally:
            holding.set()

    def close(self) -> None:
        """Start nothing more; wait for the runs in progress (each ends by its own timeout)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.timing is not None:
            self.timing.join()
