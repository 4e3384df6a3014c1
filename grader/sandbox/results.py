"""What a sandbox run is asked to do, and what the grader learnt from it (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.sandbox.boot._mpgrade_wire import json_lines
from grader.sandbox.isolation import Isolation, Limits
from grader.sandbox.observer import ProcessRecord
from grader.sandbox.stacks import ProcessStack

MIN_CHILD_LIFETIME_S = 0.05  # five observer samples: no child is too quick to be seen
MAX_API_EVENTS = 2000


@dataclass(frozen=True)
class ApiEvent:
    """A taught API called by the submission's own code, as the sandbox recorded it.

    ``api`` is what was called (``Pool.map``, ``Process.start``, ``Queue``, ...); ``entry``
    the library function the submission's code called directly to get there (``api``
    itself for a direct call, ``multiprocessing/context.py:Pool`` for a pool's workers).
    Inside evidence: the submission could write such records itself.
    """

    api: str
    entry: str
    detail: str
    file: str
    line: int
    pid: int

    @property
    def direct(self) -> bool:
        return self.entry == self.api

    @staticmethod
    def parse_lines(text: str) -> list[ApiEvent]:
        """Well-formed records of a JSON-lines file; anything else is passed over."""
        events = []
        for raw in json_lines(text):
            try:
                events.append(
                    ApiEvent(
                        str(raw["api"]),
                        str(raw["entry"]),
                        str(raw.get("detail", "")),
                        str(raw["file"]),
                        int(raw["line"]),
                        int(raw["pid"]),
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue
        return events


@dataclass(frozen=True)
class WatchedCall:
    """One call of a watched worker function: which process ran it (as the submission sees
    its pid), its integer arguments and the CPU it took. Inside evidence."""

    fn: str
    pid: int
    args: tuple[int, ...]
    cpu_s: float

    @staticmethod
    def parse_lines(text: str) -> list[WatchedCall]:
        """Well-formed records of a JSON-lines file; anything else is passed over."""
        calls = []
        for raw in json_lines(text):
            try:
                calls.append(
                    WatchedCall(str(raw["fn"]), int(raw["pid"]), tuple(int(a) for a in raw["args"]), float(raw["cpu"]))
                )
            except (ValueError, KeyError, TypeError):
                continue
        return calls


@dataclass(frozen=True)
class Call:
    """One call: a function of the submission, or a driver of ``boot/_mpgrade_drivers``."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    target: str = "function"


@dataclass(frozen=True)
class SleepSpec:
    """The rendezvous and per-input durations behind ``time.sleep(magic)``."""

    magic: float
    k: int = 0
    timeout: float = 5.0
    factors: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRequest:
    module: str
    directory: Path
    calls: tuple[Call, ...] = ()
    start_method: str | None = None
    timeout: float = 30.0
    stall_s: float | None = 3.0
    min_lifetime_s: float = MIN_CHILD_LIFETIME_S
    barrier: int = 0  # worker processes start together, k at a time (race checks)
    isolation: Isolation | None = None  # None: a plain interpreter (no jail)
    sleep: SleepSpec | None = None
    amplify: dict[str, float] | None = None
    exclusive: bool = False  # its CPU timing is judged: no other run of ours on the machine meanwhile
    watch: tuple[str, ...] = ()  # worker functions of the submission whose calls are recorded (WatchedCall)
    record_api: bool = True  # record the taught APIs the submission's code calls (ApiEvent)
    load_submission: bool = True  # False: the grader's own code only (its baselines); the module is not imported
    observer: str = "proc"  # where the observer reads process facts: "proc" (/proc) or "psutil"


@dataclass(frozen=True)
class ErrorInfo:
    """An exception raised by student code, with the student's frames only."""

    type: str
    message: str
    frames: tuple[dict[str, Any], ...] = ()
    syntax: dict[str, Any] | None = None
    phase: str = "call"


@dataclass(frozen=True)
class Output:
    text: str
    dropped_bytes: int


@dataclass(frozen=True)
class RunResult:
    """Everything the grader learnt from one run."""

    outcome: str  # loaded, load_error, returned, raised, unsendable, crashed, timeout
    value: Any
    error: ErrorInfo | None
    functions: dict[str, str]
    stdout: Output
    stderr: Output
    started_at: float | None
    returned_at: float | None
    main_pid: int
    processes: tuple[ProcessRecord, ...]
    left_running: tuple[ProcessRecord, ...]
    stacks: tuple[ProcessStack, ...]
    exit_status: int | None
    duration_s: float
    unsendable_type: str | None = None
    hang: str | None = None  # why a 'timeout' was declared, in words
    sleepers: tuple[int, ...] = ()  # pids that called time.sleep(magic) (instrumentation, cross-checked)
    task_sleepers: dict[int, tuple[int, ...]] = field(default_factory=dict)  # task n -> pids that slept for it
    main_own_pid: int = 0  # the caller's pid as the submission sees it (1 inside a PID namespace)
    oom_kills: int = 0  # processes the memory cap killed
    process_cap_hits: int = 0  # forks refused by the process cap
    disk_full: bool = False  # the run filled its private disk (the max_disk_mb limit)
    limits: Limits | None = None  # the limits the run had (None: no jail)
    api: tuple[ApiEvent, ...] = ()  # taught APIs the call used (when the request recorded them)
    api_recorded: bool = False  # the sandbox's API recorder was in force (else api is empty)
    calls: tuple[WatchedCall, ...] = ()  # calls of the watched worker functions during the call

    @property
    def wall_s(self) -> float | None:
        """The call's duration on the grader's clock (None if it never returned)."""
        if self.started_at is None or self.returned_at is None:
            return None
        return self.returned_at - self.started_at

    def workers(self) -> tuple[ProcessRecord, ...]:
        return tuple(p for p in self.processes if p.role == "worker")

    def slept(self, own_pid: int) -> float:
        """Seconds the process with this pid (as the submission sees it) sat in a sleep during
        the call, from the outside observer's samples."""
        if self.started_at is None or self.returned_at is None:
            return 0.0
        return sum(
            p.sleep_between(self.started_at, self.returned_at + 0.05) for p in self.processes if p.own_pid == own_pid
        )

    def worker_own_pids(self) -> set[int]:
        """Worker pids as the submission sees them (what ``os.getpid()`` returned in each)."""
        return {p.own_pid for p in self.workers()}
