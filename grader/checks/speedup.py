"""Measuring a CPU-bound call against its own serial work and the grader's reference.

All timings are the grader's clock around the call (the submission cannot patch it);
parallel and serial runs alternate so that both see the same load, and the grader's
own parallel workload, run in the same slots, says what the machine can give now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.checks.support import Submission
from grader.environment import usable_cpus
from grader.sandbox.launcher import RunResult
from grader.verdicts import Decision, SpeedupVerdict, judge_cpu_spread, judge_speedup

FIRST_ROUNDS = 2
EXTRA_ROUNDS = 2


@dataclass
class Measurement:
    parallel: list[RunResult] = field(default_factory=list)
    serial: list[RunResult] = field(default_factory=list)
    reference: tuple[list[float], list[float]] | None = None
    verdict: SpeedupVerdict | None = None
    broken: RunResult | None = None
    broken_what: str = ""

    def figures(self) -> dict[str, Any]:
        return {
            "serial_s": [round(r.wall_s or 0.0, 3) for r in self.serial],
            "parallel_s": [round(r.wall_s or 0.0, 3) for r in self.parallel],
            "reference_serial_s": [round(t, 3) for t in self.reference[0]] if self.reference else None,
            "reference_parallel_s": [round(t, 3) for t in self.reference[1]] if self.reference else None,
            "speedup": round(self.verdict.speedup, 3) if self.verdict else None,
            "reference_speedup": round(self.verdict.reference, 3) if self.verdict and self.verdict.reference else None,
            "effective_workers": self.verdict.effective_workers if self.verdict else None,
        }


def _times(runs: list[RunResult]) -> list[float]:
    return [r.wall_s for r in runs if r.wall_s is not None]


def _rounds(submission: Submission, name: str, limits: list[int], workers: int, worker_function: str,
            count: int, into: Measurement) -> bool:
    for _ in range(count):
        parallel = submission.call(name, limits, workers, fresh=True)
        if parallel.outcome != "returned":
            into.broken, into.broken_what = parallel, f"{name}(...)"
            return False
        serial = submission.driver("serial_map", worker_function, limits, fresh=True)
        if serial.outcome != "returned":
            into.broken, into.broken_what = serial, f"{worker_function}(...)"
            return False
        into.parallel.append(parallel)
        into.serial.append(serial)
    return True


def _reference(submission: Submission, limits: list[int], workers: int, count: int,
               into: tuple[list[float], list[float]]) -> None:
    for _ in range(count):
        serial = submission.driver("reference_serial", limits, fresh=True)
        parallel = submission.driver("reference_parallel", limits, workers, fresh=True)
        if serial.wall_s is not None and parallel.wall_s is not None:
            into[0].append(serial.wall_s)
            into[1].append(parallel.wall_s)


def measure(submission: Submission, name: str, limits: list[int], workers: int,
            worker_function: str = "count_primes_below") -> Measurement:
    """Alternate parallel and serial runs, calibrating against the reference only if needed."""
    result = Measurement()
    effective = min(workers, usable_cpus(), len(limits))
    if not _rounds(submission, name, limits, workers, worker_function, FIRST_ROUNDS, result):
        return result
    result.verdict = judge_speedup(_times(result.serial), _times(result.parallel), effective)
    if result.verdict.decision is not Decision.NEED_REFERENCE:
        return result
    reference: tuple[list[float], list[float]] = ([], [])
    _reference(submission, limits, effective, FIRST_ROUNDS, reference)
    result.reference = reference
    if not reference[0]:
        return result
    result.verdict = judge_speedup(_times(result.serial), _times(result.parallel), effective, reference)
    if result.verdict.decision is Decision.NEED_MORE:
        if not _rounds(submission, name, limits, workers, worker_function, EXTRA_ROUNDS, result):
            return result
        _reference(submission, limits, effective, EXTRA_ROUNDS, reference)
        result.verdict = judge_speedup(_times(result.serial), _times(result.parallel), effective, reference,
                                       final=True)
    return result


def cpu_spread_of(measurement: Measurement, expected_workers: int, start_method: str) -> Any:
    """Judge from the first parallel run whether child processes burnt the CPU of the work."""
    run = measurement.parallel[0]
    serial = measurement.serial[0]
    assert run.started_at is not None and run.returned_at is not None
    assert serial.started_at is not None and serial.returned_at is not None
    main = next(p for p in run.processes if p.role == "main")
    serial_main = next(p for p in serial.processes if p.role == "main")
    serial_cpu = serial_main.cpu_between(serial.started_at, serial.returned_at) or (serial.wall_s or 0.0)
    startup = main.cpu_between(0.0, run.started_at) if start_method == "spawn" else 0.02
    workers = [p.cpu_between(run.started_at, run.returned_at + 0.05) for p in run.workers()]
    return judge_cpu_spread(main.cpu_between(run.started_at, run.returned_at), workers, serial_cpu,
                            expected_workers, startup)
