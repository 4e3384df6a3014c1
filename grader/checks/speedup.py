"""Measuring a CPU-bound call: parallelism seen from outside, against serial and reference.

All timings are the grader's clock around the call and CPU times read from ``/proc``
(the submission can patch neither). Parallel and serial runs alternate so that both see
the same load; the grader's own parallel workload, run in the same slots when the
submission's figures are not clear on their own, says what the machine can give now.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from grader.checks.support import CheckFailed, Submission, skip, value_of
from grader.environment import usable_cpus
from grader.sandbox import machine
from grader.sandbox.results import RunResult
from grader.verdicts import (
    CpuSpread,
    Decision,
    SpeedupVerdict,
    judge_cpu_spread,
    judge_speedup,
    parallelism,
    settled_on_first_round,
    useful_parallelism,
    work_cpu,
    work_inflation,
)

FIRST_ROUNDS = 1  # a clear pass is settled on it (verdicts.settled_on_first_round)
CONFIRM_ROUNDS = 1  # otherwise one more round before any reference run
CALIBRATION_ROUNDS = 2
IDLE_STARTUP_CPU_S = 0.02


@dataclass
class Measurement:
    start_method: str
    limits: list[int] = field(default_factory=list)
    worker_function: str = "count_primes_below"
    parallel: list[RunResult] = field(default_factory=list)
    serial: list[RunResult] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    reference_cpu: list[float] = field(default_factory=list)  # CPU of the reference's children, start-up discounted
    verdict: SpeedupVerdict | None = None
    broken: RunResult | None = None
    broken_what: str = ""

    def parallelism_runs(self) -> list[float]:
        return [
            parallelism(worker_cpu(run), busy_wall(run), startup_cpu(run, self.start_method)) for run in self.parallel
        ]

    def parallel_cpu(self) -> list[float]:
        """CPU the child processes spent in each parallel run, start-up discounted."""
        return [sum(work_cpu(worker_cpu(run), startup_cpu(run, self.start_method))) for run in self.parallel]

    def serial_cpu(self) -> list[float]:
        return [caller_cpu(run) for run in self.serial]

    def inflation(self) -> float:
        """Children's CPU in the parallel runs against the CPU of the grader's own serial run
        of the same work (the submission cannot bend that baseline)."""
        return work_inflation(self.parallel_cpu(), self.serial_cpu())

    def reference_inflation(self) -> float | None:
        """The same figure for the grader's own parallel reference (about 1 when the CPU
        times read now are right; None before any reference run)."""
        return work_inflation(self.reference_cpu, self.serial_cpu()) if self.reference_cpu else None

    def shares(self, run: RunResult) -> dict[int, float]:
        """Useful work per process of one parallel run, from the recorded calls of the worker
        function: each limit weighs ``limit ** 1.5`` (the cost of trial division up to it)."""
        wanted = set(self.limits)
        shares: dict[int, float] = {}
        for call in run.calls:
            if call.fn == self.worker_function and call.args and call.args[0] in wanted:
                shares[call.pid] = shares.get(call.pid, 0.0) + call.args[0] ** 1.5
        return shares

    def repeated(self) -> float | None:
        """Recorded work over the distinct work, the highest over the parallel runs: 1.0 when
        every limit was counted once, 2.0 when each was counted twice (None: not recorded)."""
        found = []
        for run in self.parallel:
            wanted = set(self.limits)
            counted = [c.args[0] for c in run.calls if c.fn == self.worker_function and c.args and c.args[0] in wanted]
            distinct = sum(limit**1.5 for limit in set(counted))
            if distinct:
                found.append(sum(limit**1.5 for limit in counted) / distinct)
        return max(found) if found else None

    def useful(self) -> float | None:
        """The lowest useful parallelism over the parallel runs (None: no calls were recorded)."""
        found = [useful_parallelism(list(shares.values())) for run in self.parallel if (shares := self.shares(run))]
        return min(found) if found else None

    def figures(self) -> dict[str, Any]:
        verdict = self.verdict
        return {
            "serial_s": [round(r.wall_s or 0.0, 3) for r in self.serial],
            "parallel_s": [round(r.wall_s or 0.0, 3) for r in self.parallel],
            "serial_cpu_s": [round(c, 3) for c in self.serial_cpu()],
            "parallel_cpu_s": [round(c, 3) for c in self.parallel_cpu()],
            "parallelism": [round(p, 3) for p in self.parallelism_runs()],
            "reference_parallelism": [round(p, 3) for p in self.reference] or None,
            "raw_speedup": round(verdict.raw_speedup, 3) if verdict else None,
            "work_inflation": round(self.inflation(), 3) if self.parallel else None,
            "reference_work_inflation": round(ref, 3) if (ref := self.reference_inflation()) is not None else None,
            "effective_workers": verdict.effective_workers if verdict else None,
            "useful_parallelism": round(useful, 3) if (useful := self.useful()) is not None else None,
            "repeated_work": round(repeated, 3) if (repeated := self.repeated()) is not None else None,
        }


def startup_cpu(run: RunResult, start_method: str) -> float:
    """CPU an idle child costs to start: under spawn about what the caller's own start-up cost."""
    if start_method != "spawn" or run.started_at is None:
        return IDLE_STARTUP_CPU_S
    main = next(p for p in run.processes if p.role == "main")
    return main.cpu_between(0.0, run.started_at)


def busy_wall(run: RunResult) -> float:
    """Seconds from the first child process's appearance to the call's return (grader's clock)."""
    assert run.started_at is not None and run.returned_at is not None
    first = min((p.first_seen for p in run.workers()), default=run.started_at)
    return run.returned_at - max(run.started_at, first)


def worker_cpu(run: RunResult) -> list[float]:
    """CPU of each child process during the call."""
    assert run.started_at is not None and run.returned_at is not None
    return [p.cpu_between(run.started_at, run.returned_at + 0.05) for p in run.workers()]


def caller_cpu(run: RunResult) -> float:
    """CPU of the calling process during the call."""
    assert run.started_at is not None and run.returned_at is not None
    main = next(p for p in run.processes if p.role == "main")
    return main.cpu_between(run.started_at, run.returned_at)


def _rounds(submission: Submission, name: str, workers: int, count: int, into: Measurement) -> bool:
    """Parallel runs of the submission, each followed by the grader's own serial run of the
    same work (the baseline), in alternating slots so that both see the same load."""
    for _ in range(count):
        parallel = submission.call(
            name, into.limits, workers, fresh=True, watch=(into.worker_function,), min_lifetime_s=0.0, exclusive=True
        )
        if parallel.outcome != "returned":
            into.broken, into.broken_what = parallel, f"{name}(...)"
            return False
        serial = submission.driver(
            "reference_serial", into.limits, fresh=True, min_lifetime_s=0.0, exclusive=True, load_submission=False
        )
        if serial.outcome != "returned":
            into.broken, into.broken_what = serial, "the grader's own serial run"
            return False
        into.parallel.append(parallel)
        into.serial.append(serial)
    return True


def _reference(submission: Submission, limits: list[int], workers: int, count: int, into: Measurement) -> None:
    for _ in range(count):
        run = submission.driver(
            "reference_parallel", limits, workers, fresh=True, min_lifetime_s=0.0, exclusive=True, load_submission=False
        )
        if run.wall_s is not None:
            startup, workers_cpu = startup_cpu(run, into.start_method), worker_cpu(run)
            into.reference.append(parallelism(workers_cpu, busy_wall(run), startup))
            into.reference_cpu.append(sum(work_cpu(workers_cpu, startup)))


def _judge(result: Measurement, effective: int, final: bool = False) -> SpeedupVerdict:
    return judge_speedup(
        result.parallelism_runs(),
        [r.wall_s or 0.0 for r in result.serial],
        [r.wall_s or 0.0 for r in result.parallel],
        effective,
        result.reference or None,
        final,
        result.inflation(),
        result.useful(),
        result.repeated(),
        result.reference_inflation(),
    )


def measure(
    submission: Submission, name: str, limits: list[int], workers: int, worker_function: str = "count_primes_below"
) -> Measurement:
    """The measurement of ``name`` (made once per submission, whoever asks first)."""
    key = ("measure", name, tuple(limits), workers, worker_function)
    return submission.once(key, lambda: _measure_alone(submission, name, limits, workers, worker_function))


def _measure_alone(
    submission: Submission, name: str, limits: list[int], workers: int, worker_function: str
) -> Measurement:
    with machine.alone():  # every timed run back to back, nothing else of ours in between
        return _measure(submission, name, limits, workers, worker_function)


def _measure(submission: Submission, name: str, limits: list[int], workers: int, worker_function: str) -> Measurement:
    """Alternate parallel and serial runs; calibrate against the reference only if needed.

    A clear pass on the first round stands; anything else gets a second round, and a clear
    pass then needs no reference either. Otherwise more rounds follow, each submission run
    followed by the grader's reference run in the next slot, so that a fail requires the
    submission to stay serial while the machine shows parallelism right around it (a
    burst of load from elsewhere slows both, and then the check is skipped, not failed).
    """
    result = Measurement(submission.start_method, list(limits), worker_function)
    effective = min(workers, usable_cpus(), len(limits))
    if not _rounds(submission, name, workers, FIRST_ROUNDS, result):
        return result
    result.verdict = _judge(result, effective)
    if settled_on_first_round(result.verdict, result.inflation(), result.useful()):
        return result
    if not _rounds(submission, name, workers, CONFIRM_ROUNDS, result):
        return result
    result.verdict = _judge(result, effective)
    if result.verdict.decision is not Decision.NEED_REFERENCE:
        return result
    for _ in range(CALIBRATION_ROUNDS):
        if not _rounds(submission, name, workers, 1, result):
            return result
        _reference(submission, limits, effective, 1, result)
        if _judge(result, effective).decision is Decision.PASS:
            break
    result.verdict = _judge(result, effective, final=True)
    if result.verdict.decision is Decision.NEED_REFERENCE:  # the reference itself never returned
        result.verdict = replace(
            result.verdict,
            decision=Decision.SKIP,
            reason="the grader's own reference workload could not run on this machine",
        )
    return result


def cpu_spread_of(measurement: Measurement, expected_workers: int) -> CpuSpread:
    """Judge from the first parallel run whether child processes burnt the CPU of the work."""
    run = measurement.parallel[0]
    return judge_cpu_spread(
        caller_cpu(run),
        worker_cpu(run),
        expected_workers,
        startup_cpu(run, measurement.start_method),
    )


def returned_value(measurement: Measurement, submission: Submission) -> Any:
    """The first parallel run's value, or the SubmissionError of the run that broke."""
    if measurement.broken is not None:
        value_of(measurement.broken, measurement.broken_what, submission.exercise)
    return measurement.parallel[0].value


def check_cpu_spread(measurement: Measurement, expected_workers: int, evidence: dict[str, Any], advice: str) -> None:
    """processes: children, not the caller, burnt the work's CPU (outside), and the children
    that burnt it are the ones that counted (inside record of the calls; CheckFailed otherwise)."""
    spread = cpu_spread_of(measurement, expected_workers)
    evidence.update(
        worker_cpu_s=round(spread.worker_cpu_s, 3),
        main_cpu_s=round(spread.main_cpu_s, 3),
        busy_workers=spread.busy_workers,
    )
    if not spread.ok:
        raise CheckFailed(f"{spread.reason}: {advice}", cause="cpu-not-spread")
    run = measurement.parallel[0]
    shares = measurement.shares(run)
    if not shares:
        evidence["counted_by"] = "no call of the worker function was recorded"
        return
    main = run.main_own_pid
    counting = sorted(pid for pid in shares if pid != main and pid in run.worker_own_pids())
    evidence.update(counting_workers=len(counting), evidence="outside: CPU per process; inside: calls per process")
    if main in shares:
        raise CheckFailed(
            f"the calling process (pid {main}) counted {_count(run, main, measurement)} of the "
            f"{len(measurement.limits)} limits itself: {advice}",
            cause="caller-did-work",
        )
    if len(counting) < min(expected_workers, spread.busy_workers):
        raise CheckFailed(
            f"{spread.busy_workers} child processes kept the cores busy, but only {len(counting)} of them counted "
            f"any limit (pid {', '.join(map(str, counting))} counted all {len(measurement.limits)}): the others burnt "
            f"CPU without doing the work. {advice}",
            cause="busy-without-work",
        )


def _count(run: RunResult, pid: int, measurement: Measurement) -> int:
    return sum(1 for c in run.calls if c.pid == pid and c.fn == measurement.worker_function)


def check_speedup(measurement: Measurement, evidence: dict[str, Any], what: str, advice: str) -> None:
    """speedup: pass, skip with the reason, or CheckFailed naming the figures."""
    evidence.update(measurement.figures())
    verdict = measurement.verdict
    assert verdict is not None
    if verdict.decision is Decision.SKIP:
        skip(verdict.reason)
    if verdict.decision is not Decision.PASS:
        raise CheckFailed(
            f"{what} was not faster than doing the work one piece after another: {verdict.reason}. {advice}",
            cause="no-speedup",
        )
