"""A run's process timeline, as the grader observed it, bounded for a report.

For every ``processes``, ``concurrency`` and ``speedup`` check the plugin adds the
timeline of the run behind it to the check's ``data``: each process of the submission
(the jail is the grader's and left out) with its parent, role, when it was first and
last seen, and its CPU use over time in equal bins, all in seconds from the first
process's start. Everything comes from the outside observer, never from the submission.
At most ``MAX_PROCESSES`` processes and ``MAX_SAMPLES`` CPU bins in all, so a thousand
students' timelines stay small in a gradebook.
"""

from __future__ import annotations

from typing import Any

from grader.sandbox.observer import ProcessRecord
from grader.sandbox.results import RunResult

MAX_PROCESSES = 24
MAX_SAMPLES = 300
MAX_BINS = 60
MIN_BIN_S = 0.05  # five clock ticks: CPU time is counted in ticks of 10 ms
KINDS = frozenset({"processes", "concurrency", "speedup"})


def of(result: RunResult) -> dict[str, Any] | None:
    """The bounded timeline of one run, None if the grader saw no process of it."""
    shown = [p for p in result.processes if p.role != "jail"]
    if not shown:
        return None
    shown = _bounded(shown)
    t0 = min(p.first_seen for p in shown)
    t1 = max([p.last_seen for p in shown] + [result.returned_at or 0.0])
    span = max(t1 - t0, 1e-3)
    bins = max(1, min(MAX_BINS, MAX_SAMPLES // len(shown), int(span / MIN_BIN_S)))
    width = span / bins
    own = {p.pid: p.own_pid for p in result.processes if p.role != "jail"}  # the jail's pid is the grader's
    return {
        "span_s": round(span, 3),
        "bin_s": round(width, 4),
        "call": [_at(result.started_at, t0), _at(result.returned_at, t0)],
        "processes": [
            {
                "pid": p.own_pid,
                "parent": own.get(p.ppid, 0),  # 0: started by the grader
                "role": p.role,
                "start": round(p.first_seen - t0, 3),
                "end": round(p.last_seen - t0, 3),
                "cpu_s": round(p.cpu_s, 3),
                "exit": p.exit_code,
                "busy": _busy(p, t0, width, bins),
            }
            for p in shown
        ],
        "left_out": len([p for p in result.processes if p.role != "jail"]) - len(shown),
    }


def _at(stamp: float | None, t0: float) -> float | None:
    return None if stamp is None else round(stamp - t0, 3)


def _bounded(records: list[ProcessRecord]) -> list[ProcessRecord]:
    """The main process and helpers first, then workers by start, at most MAX_PROCESSES."""
    if len(records) <= MAX_PROCESSES:
        return sorted(records, key=lambda p: p.first_seen)
    ranked = sorted(records, key=lambda p: (p.role != "main", p.role == "helper", p.first_seen))
    return sorted(ranked[:MAX_PROCESSES], key=lambda p: p.first_seen)


def _busy(record: ProcessRecord, t0: float, width: float, bins: int) -> list[float]:
    """Share of one core the process used in each bin (0 to 1), from its cumulative CPU trace."""
    return [round(min(1.0, record.cpu_between(t0 + i * width, t0 + (i + 1) * width) / width), 2) for i in range(bins)]
