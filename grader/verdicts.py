"""Verdict logic as pure functions of measurements (no clock, no processes).

Every decision that depends on timing or CPU figures lives here so that it can be
tested with synthetic numbers, independent of the speed or load of the machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class Decision(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    NEED_REFERENCE = "need_reference"
    NEED_MORE = "need_more"


@dataclass(frozen=True)
class SpeedupVerdict:
    decision: Decision
    speedup: float
    reference: float | None
    effective_workers: int
    reason: str


def pass_threshold(effective_workers: int) -> float:
    """Speedup that clearly shows parallel work: 1.3x for 2 workers, +0.3 per extra one."""
    return 1.0 + 0.3 * (effective_workers - 1)


def fail_threshold(effective_workers: int) -> float:
    """At or below this the work was not parallel (a serial run scores about 1.0)."""
    return 1.0 + 0.1 * (effective_workers - 1)


def best_ratio(serial: Sequence[float], parallel: Sequence[float]) -> float:
    """Best serial time over best parallel time, each the least disturbed of its runs."""
    return min(serial) / min(parallel)


def judge_speedup(
    serial: Sequence[float],
    parallel: Sequence[float],
    effective_workers: int,
    reference: tuple[Sequence[float], Sequence[float]] | None = None,
    final: bool = False,
) -> SpeedupVerdict:
    """Decide a speedup check from interleaved timings of one session.

    ``reference`` holds the serial and parallel timings of the grader's own workload,
    run in the same slots: it says what parallelism the machine can give right now.
    """
    if effective_workers < 2:
        return SpeedupVerdict(Decision.SKIP, 0.0, None, effective_workers,
                              "only one usable core (or one worker): parallel speedup cannot show here")
    speedup = best_ratio(serial, parallel)
    good, bad = pass_threshold(effective_workers), fail_threshold(effective_workers)
    if speedup >= good:
        return SpeedupVerdict(Decision.PASS, speedup, None, effective_workers, f"{speedup:.2f}x >= {good:.2f}x")
    if reference is None:
        return SpeedupVerdict(Decision.NEED_REFERENCE, speedup, None, effective_workers, "calibrating")
    ref = best_ratio(*reference)
    if ref < good:
        return SpeedupVerdict(Decision.SKIP, speedup, ref, effective_workers,
                              f"the machine is too busy to show parallelism: the grader's own parallel "
                              f"reference reached only {ref:.2f}x (needs {good:.2f}x)")
    if speedup <= bad:
        return SpeedupVerdict(Decision.FAIL, speedup, ref, effective_workers,
                              f"{speedup:.2f}x, while the grader's own parallel reference reached {ref:.2f}x "
                              f"in the same moments")
    if speedup >= 0.8 * ref:
        return SpeedupVerdict(Decision.PASS, speedup, ref, effective_workers,
                              f"{speedup:.2f}x, at least 80% of the reference's {ref:.2f}x")
    if not final:
        return SpeedupVerdict(Decision.NEED_MORE, speedup, ref, effective_workers, "inconclusive so far")
    return SpeedupVerdict(Decision.SKIP, speedup, ref, effective_workers,
                          f"inconclusive: {speedup:.2f}x against a reference of {ref:.2f}x")


@dataclass(frozen=True)
class CpuSpread:
    ok: bool
    busy_workers: int
    worker_cpu_s: float
    main_cpu_s: float
    reason: str


def judge_cpu_spread(
    main_cpu_s: float,
    worker_cpu_s: Sequence[float],
    serial_cpu_s: float,
    expected_workers: int,
    startup_cpu_s: float = 0.0,
) -> CpuSpread:
    """Did child processes, not the caller, burn the CPU of the work?

    ``serial_cpu_s`` is the work's cost measured in one process; ``startup_cpu_s`` is
    what starting an idle worker costs (large under spawn), so idle decoys don't count.
    """
    fair_share = serial_cpu_s / max(1, expected_workers)
    busy = sum(1 for cpu in worker_cpu_s if cpu >= 0.35 * fair_share + startup_cpu_s)
    total = sum(worker_cpu_s)
    if main_cpu_s > 0.5 * serial_cpu_s:
        return CpuSpread(False, busy, total, main_cpu_s,
                         f"the calling process itself used {main_cpu_s:.2f} s of CPU during the call, "
                         f"about {main_cpu_s / serial_cpu_s:.0%} of the whole work: the work ran in the caller")
    if total < 0.7 * serial_cpu_s:
        return CpuSpread(False, busy, total, main_cpu_s,
                         f"child processes used only {total:.2f} s of CPU for work that takes "
                         f"{serial_cpu_s:.2f} s in one process")
    if busy < expected_workers:
        return CpuSpread(False, busy, total, main_cpu_s,
                         f"only {busy} child process(es) did a fair share of the work; expected {expected_workers}")
    return CpuSpread(True, busy, total, main_cpu_s,
                     f"{busy} child processes shared {total:.2f} s of CPU; the caller used {main_cpu_s:.2f} s")


def overlap_samples(intervals: Sequence[tuple[float, float]]) -> float:
    """Longest time during which at least two of the intervals were alive at once."""
    best = 0.0
    for i, (start_a, end_a) in enumerate(intervals):
        for start_b, end_b in intervals[i + 1 :]:
            best = max(best, min(end_a, end_b) - max(start_a, start_b))
    return best
