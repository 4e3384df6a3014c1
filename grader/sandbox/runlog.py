"""A log of every sandbox run, for the speed benchmark: when it was asked for, when it got
the machine, when its harness was ready, when it ended, and the CPU its tree used.

Off unless ``MPGRADE_RUN_LOG`` names a file; each run appends one JSON line (times on the
system-wide monotonic clock, so lines written by several pytest children compare).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

LOG_VAR = "MPGRADE_RUN_LOG"


@dataclass(frozen=True)
class RunTimes:
    module: str
    calls: tuple[str, ...]
    start_method: str | None
    exclusive: bool
    requested: float  # the check asked for the run
    granted: float  # the machine lock was held
    ready: float | None  # the harness was up, every layer on, before any student code
    ended: float  # the tree was gone and the scratch removed
    cpu_s: float  # CPU time of every process of the tree
    outcome: str
    returned: float | None = None  # the last call returned (what follows is teardown)
    sample_gap_s: float = 0.0  # the longest time between two of the observer's samples

    @property
    def teardown_s(self) -> float | None:
        return None if self.returned is None else self.ended - self.returned

    @property
    def startup_s(self) -> float | None:
        return None if self.ready is None else self.ready - self.granted


def note(times: RunTimes) -> None:
    path = os.environ.get(LOG_VAR)
    if not path:
        return
    line = json.dumps(asdict(times)) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read(path: str) -> list[RunTimes]:
    runs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            data = json.loads(line)
            data["calls"] = tuple(data["calls"])
            runs.append(RunTimes(**data))
    return runs
