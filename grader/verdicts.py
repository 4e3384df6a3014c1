"""Verdict logic as pure functions of measurements (no clock, no processes).

Every decision that depends on timing or CPU figures lives here so that it can be
tested with synthetic numbers, independent of the speed or load of the machine.
"""

from __future__ import annotations

import statistics
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
    parallelism: float
    raw_speedup: float
    reference: float | None
    effective_workers: int
    reason: str


def pass_threshold(effective_workers: int) -> float:
    """Parallelism that clearly shows parallel work: 1.3 for 2 workers, +0.3 per extra one."""
    return 1.0 + 0.3 * (effective_workers - 1)


def fail_threshold(effective_workers: int) -> float:
    """At or below this the work was not parallel (one busy process scores at most 1.0)."""
    return 1.0 + 0.1 * (effective_workers - 1)


def work_cpu(worker_cpu_s: Sequence[float], startup_cpu_s: float = 0.0) -> list[float]:
    """Each child's CPU less what starting an idle child costs (never below zero)."""
    return [max(0.0, cpu - startup_cpu_s) for cpu in worker_cpu_s]


def parallelism(worker_cpu_s: Sequence[float], wall_s: float, startup_cpu_s: float = 0.0) -> float:
    """CPU seconds the child processes spent on the work per second of the call.

    Both terms come from the same run, so a machine whose cores change speed from one
    second to the next (shared hosts do) moves them together; a wall-clock ratio of two
    separate runs does not have that property. Start-up CPU of each child is discounted.
    """
    if wall_s <= 0:
        return 0.0
    return sum(work_cpu(worker_cpu_s, startup_cpu_s)) / wall_s


MIN_RAW_SPEEDUP = 0.75  # a parallel run may not be much slower than the best serial one


def raw_speedup(serial: Sequence[float], parallel: Sequence[float]) -> float:
    """Best serial time over best parallel time (each the least disturbed of its runs)."""
    return min(serial) / min(parallel)


NO_CHILD_WORK = 0.25  # below: the children did (next to) none of the work; serial on any machine
MAX_WORK_INFLATION = 1.5  # at or above: children burnt far more CPU than the work needs; never a pass
FAIL_WORK_INFLATION = 1.75  # at or above: the work was repeated (k workers repeating all of it: about k)


def work_inflation(parallel_worker_cpu_s: Sequence[float], serial_cpu_s: Sequence[float]) -> float:
    """CPU the children spent on the work, over the CPU the same work takes in one process.

    About 1 when the work was shared; about k when each of k workers repeated all of it,
    or when busy children burnt CPU beside a caller that did the work. Medians, because
    CPU time is not immune to the host: the same serial work took 0.60 s and 0.85 s of
    CPU in neighbouring runs here. 1.0 when the serial CPU is unknown.
    """
    if not parallel_worker_cpu_s or not serial_cpu_s or statistics.median(serial_cpu_s) <= 0.05:
        return 1.0
    return statistics.median(parallel_worker_cpu_s) / statistics.median(serial_cpu_s)


MIN_USEFUL_PARALLELISM = 1.2  # below: one process did (nearly) all the useful work
REPEATED_WORK = 1.25  # at or above (recorded calls), with the CPU agreeing: part of the work was done twice
REPEATED_CPU = 1.2  # the CPU inflation that must confirm what the recorded calls say
CLEARLY_REPEATED = 1.5  # half the work again in the records: a fail without the CPU (forging it only hurts)


def useful_parallelism(shares: Sequence[float]) -> float:
    """The most any speedup could be, given how the useful work was shared among processes:
    all of it over the largest share (2.0 for two equal halves, 1.0 when one did it all)."""
    total = sum(shares)
    return total / max(shares) if shares and max(shares) > 0 else 1.0


CLEAR_INFLATION = 1.25  # a pass settled on one round: the children's CPU under this over the work's


def settled_on_first_round(verdict: SpeedupVerdict, inflation: float, useful: float | None) -> bool:
    """Whether a verdict judged on one round of runs can stand without a second: a pass whose
    recorded calls show the work shared out (``useful`` known) and whose children used about
    the CPU of the work (a burner's extra CPU, read against a serial CPU that swings by up to
    1.4x on a shared host, stays above ``CLEAR_INFLATION``). The second round is there for
    a correct submission disturbed in the first (parallelism is the best of the runs); a
    clear pass has shown what it must. Anything else gets the second round, as it always did.
    """
    return verdict.decision is Decision.PASS and useful is not None and inflation < CLEAR_INFLATION


def _fails_on_any_machine(
    inflation: float, useful: float | None, repeated: float | None, effective_workers: int
) -> str | None:
    """Why the check fails whatever the machine could show, or None: the work went to one
    process, was partly done twice, or never left the caller."""
    if useful is not None and effective_workers >= 2 and useful < MIN_USEFUL_PARALLELISM:
        return (
            f"one process did the useful work: the way the tasks were shared allows at most a "
            f"{useful:.2f}x speedup, however busy the other processes were"
        )
    if repeated is not None and (
        repeated >= CLEARLY_REPEATED or (repeated >= REPEATED_WORK and inflation >= REPEATED_CPU)
    ):
        return (
            f"the processes did {repeated:.2f}x the work: some of it was done twice (the recorded calls show "
            f"repeated inputs; the children used {inflation:.2f}x the CPU of the work in one process)"
        )
    if inflation < NO_CHILD_WORK:
        return (
            f"no child process did measurable CPU work: the children used {inflation:.0%} of the CPU that "
            f"the work takes in one process, so it ran in the calling process (serial on any machine)"
        )
    return None


def judge_speedup(
    parallelism_runs: Sequence[float],
    serial: Sequence[float],
    parallel: Sequence[float],
    effective_workers: int,
    reference: Sequence[float] | None = None,
    final: bool = False,
    inflation: float = 1.0,
    useful: float | None = None,
    repeated: float | None = None,
    reference_inflation: float | None = None,
) -> SpeedupVerdict:
    """Decide a speedup check from the runs of one session.

    ``parallelism_runs`` are the submission's parallel runs measured by :func:`parallelism`;
    ``serial``/``parallel`` the wall times of its own work done serially and in parallel,
    interleaved; ``reference`` the parallelism the grader's own workload reached in the
    same slots, which says what the machine can give right now; ``inflation`` the
    :func:`work_inflation` of the runs against the grader's own serial baseline (busy
    children that repeat the work, or burn CPU beside it, are no speedup;
    children that did almost none of it fail at once, on any machine, one core included:
    serial code is serial everywhere, so there is nothing to calibrate); ``useful`` the
    :func:`useful_parallelism` of the tasks' calls as recorded per process, when known;
    ``repeated`` the recorded work over the distinct work (1.0 when no input was done twice),
    which fails the check only when the CPU figures agree; ``reference_inflation`` the
    same figure for the grader's own parallel reference, whose workers share the work
    exactly: CPU inflation fails the submission only when the reference's CPU was read
    about right in the same slots (a host that bills its waits as CPU, or a misread of the
    processes, shows in both).

    Parallelism decides: it is read within one run, so it does not swing with the speed
    of shared cores the way the ratio of two separate runs does (on these machines the
    same serial work measured 0.79 s and 1.36 s a few seconds apart). The wall-clock
    ratio only vetoes a pass when the parallel run was clearly slower than serial.
    """
    raw = raw_speedup(serial, parallel)
    early = _fails_on_any_machine(inflation, useful, repeated, effective_workers)
    if early is not None:
        return SpeedupVerdict(Decision.FAIL, max(parallelism_runs, default=0.0), raw, None, effective_workers, early)
    if effective_workers < 2:
        return SpeedupVerdict(
            Decision.SKIP,
            0.0,
            raw,
            None,
            effective_workers,
            "only one usable core (or one worker): parallel speedup cannot show here",
        )
    par = max(parallelism_runs)
    good, bad = pass_threshold(effective_workers), fail_threshold(effective_workers)
    figures = f"{par:.2f} cores busy on average, {raw:.2f}x faster than serial"
    wasted = inflation >= MAX_WORK_INFLATION
    if wasted:
        figures += f", {inflation:.1f}x the CPU of the work in one process"
    if par >= good and raw >= MIN_RAW_SPEEDUP and not wasted:
        return SpeedupVerdict(Decision.PASS, par, raw, None, effective_workers, figures)
    if reference is None:
        return SpeedupVerdict(Decision.NEED_REFERENCE, par, raw, None, effective_workers, "calibrating")
    ref = max(reference)

    def decided(decision: Decision, reason: str) -> SpeedupVerdict:
        return SpeedupVerdict(decision, par, raw, ref, effective_workers, reason)

    if ref < good:
        return decided(
            Decision.SKIP,
            f"the machine is too busy to show parallelism: the grader's own parallel reference "
            f"kept only {ref:.2f} cores busy (needs {good:.2f})",
        )
    if par <= bad:
        return decided(
            Decision.FAIL,
            f"the work kept {par:.2f} cores busy ({raw:.2f}x faster than serial), while the "
            f"grader's own parallel reference kept {ref:.2f} busy in the same moments",
        )
    if inflation >= FAIL_WORK_INFLATION:
        if reference_inflation is not None and reference_inflation >= CLEAR_INFLATION:
            return decided(
                Decision.SKIP,
                f"the CPU times read on this machine are not reliable now: the child processes used "
                f"{inflation:.1f}x the CPU of the work in one process, but the grader's own parallel reference, "
                f"which shares the work exactly, also read {reference_inflation:.1f}x",
            )
        return decided(
            Decision.FAIL,
            f"the child processes used {inflation:.1f}x the CPU that the same work takes in one process "
            f"({raw:.2f}x faster than serial): each repeated the work, or burnt CPU beside it, "
            f"instead of taking a share of it",
        )
    if par >= min(good, 0.8 * ref) and raw >= MIN_RAW_SPEEDUP and not wasted:
        return decided(Decision.PASS, f"{figures}; reference {ref:.2f}")
    if not final:
        return decided(Decision.NEED_MORE, "inconclusive so far")
    return decided(Decision.SKIP, f"inconclusive: {figures}, against a reference of {ref:.2f}")


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
    expected_workers: int,
    startup_cpu_s: float = 0.0,
) -> CpuSpread:
    """Did child processes, not the caller, burn the CPU of the work?

    All figures come from one run: the CPU the caller and each child used during the
    call. ``startup_cpu_s`` is what starting an idle child costs (large under spawn),
    discounted so that idle decoys do not count as workers.
    """
    work = work_cpu(worker_cpu_s, startup_cpu_s)
    total = sum(work)
    fair_share = total / max(1, expected_workers)
    busy = sum(1 for cpu in work if total > 0 and cpu >= 0.3 * fair_share)
    if total + main_cpu_s <= 0.05:
        return CpuSpread(False, busy, total, main_cpu_s, "no process used measurable CPU during the call")
    if total < 0.7 * (total + main_cpu_s):
        return CpuSpread(
            False,
            busy,
            total,
            main_cpu_s,
            f"the calling process used {main_cpu_s:.2f} s of CPU during the call and its child "
            f"processes {total:.2f} s: the work ran in the caller",
        )
    if busy < expected_workers:
        return CpuSpread(
            False,
            busy,
            total,
            main_cpu_s,
            f"only {busy} child process(es) did a fair share of the work; expected {expected_workers}",
        )
    return CpuSpread(
        True,
        busy,
        total,
        main_cpu_s,
        f"{busy} child processes shared {total:.2f} s of CPU; the caller used {main_cpu_s:.2f} s",
    )


def overlap_samples(intervals: Sequence[tuple[float, float]]) -> float:
    """Longest time during which at least two of the intervals were alive at once."""
    best = 0.0
    for i, (start_a, end_a) in enumerate(intervals):
        for start_b, end_b in intervals[i + 1 :]:
            best = max(best, min(end_a, end_b) - max(start_a, start_b))
    return best


def judge_overlap(seen: float, possible: float, needed: float) -> Decision:
    """Whether processes ran at the same time for ``needed`` seconds, from two readings of their
    lifetimes: ``seen``, the overlap of what the samples saw (never more than the truth), and
    ``possible``, the overlap of the longest they can have lived between samples (never less).
    On a quiet machine the two are a sample apart; when a busy machine spaces the samples out
    so that neither settles it, the check is skipped rather than failed on a missed sighting."""
    if seen >= needed:
        return Decision.PASS
    if possible < needed:
        return Decision.FAIL
    return Decision.SKIP
