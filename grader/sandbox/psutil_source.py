"""The observer's process facts read through psutil (``--observer psutil``).

The tree, each process's state, parent, CPU times (its own and its reaped children's),
start time, command line and context switches come from psutil, which knows them on
Linux, macOS and Windows alike. psutil has no answer for three facts; where Linux's
``/proc`` has one the source reads it there, elsewhere it goes without: the pid a process
has inside the run's PID namespace (only the Linux jail makes one), the exit status of a
zombie, and the system call a process sleeps in (so sleeps are not told from waits).
"""

from __future__ import annotations

import os
import time

import psutil

from grader.sandbox import observer
from grader.sandbox.observer import CLOCK_TICKS, _Stat

STATES = {
    psutil.STATUS_ZOMBIE: "Z",
    psutil.STATUS_SLEEPING: "S",
    psutil.STATUS_RUNNING: "R",
    psutil.STATUS_DISK_SLEEP: "D",
    psutil.STATUS_STOPPED: "T",
    psutil.STATUS_TRACING_STOP: "t",
    psutil.STATUS_IDLE: "I",
    psutil.STATUS_DEAD: "X",
}
GONE = (psutil.NoSuchProcess, psutil.AccessDenied, OSError)
ON_LINUX = os.path.isdir("/proc/self")


def _ticks(seconds: float) -> int:
    return int(round(seconds * CLOCK_TICKS))


class PsutilSource(observer.ProcSource):
    def tree(self, root: int, extra_roots: tuple[int, ...] = ()) -> list[int]:
        """Parents first. psutil finds children by listing every process of the machine, so
        the tree is taken in one listing per root, then ordered by each process's parent."""
        below: dict[int, list[int]] = {}
        for top in (root, *extra_roots):
            try:
                processes = psutil.Process(top).children(recursive=True)
            except GONE:
                continue
            for process in processes:
                try:
                    below.setdefault(process.ppid(), []).append(process.pid)
                except GONE:
                    continue
        found: list[int] = []
        level = [root, *extra_roots]
        while level:
            following: list[int] = []
            for pid in level:
                if pid not in found:
                    found.append(pid)
                    following.extend(below.get(pid, ()))
            level = following
        return found

    def children(self, pid: int) -> list[int]:
        try:
            return [child.pid for child in psutil.Process(pid).children()]
        except GONE:
            return []

    def stat(self, pid: int) -> _Stat | None:
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                state = STATES.get(process.status(), "S")
                times = process.cpu_times()
                return _Stat(
                    state=state,
                    ppid=process.ppid(),
                    cpu_ticks=_ticks(times.user + times.system),
                    start_ticks=_ticks(process.create_time()),
                    exit_code=self._exit_code(pid) if state == "Z" else None,
                    child_ticks=_ticks(getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)),
                )
        except GONE:
            return None

    @staticmethod
    def _exit_code(pid: int) -> int | None:
        if not ON_LINUX:
            return None
        found = observer.read_stat(pid)
        return found.exit_code if found is not None else None

    def cmdline(self, pid: int) -> str:
        try:
            return " ".join(psutil.Process(pid).cmdline()).strip()
        except (psutil.ZombieProcess, *GONE):
            return ""

    def ns_pid(self, pid: int) -> int:
        return observer.read_ns_pid(pid) if ON_LINUX else 0

    def syscall(self, pid: int) -> int | None:
        return observer.read_syscall(pid) if ON_LINUX else None

    def session(self, pid: int) -> int | None:
        if ON_LINUX:
            return observer.read_session(pid)
        try:
            return os.getsid(pid)
        except OSError:
            return None

    def pid_namespace(self, pid: int) -> str | None:
        return observer.read_pid_namespace(pid) if ON_LINUX else None

    def wakeups(self, pid: int) -> int:
        try:
            switches = psutil.Process(pid).num_ctx_switches()
        except GONE:
            return 0
        return switches.voluntary + switches.involuntary

    def started_by(self, start_ticks: int, now: float) -> float:
        """psutil's start times are seconds since the epoch (here in clock ticks, rounded: one
        tick is taken off to stay a bound)."""
        age = time.time() - (start_ticks - 1) / CLOCK_TICKS
        return min(now, max(0.0, now - age))
