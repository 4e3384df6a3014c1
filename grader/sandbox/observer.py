"""Observation of a sandbox's process tree from outside, by walking ``/proc`` (or through
psutil: :mod:`grader.sandbox.psutil_source`).

The observer samples the tree below one root pid every few milliseconds from a thread
of the grader's process, which the submission cannot reach. What it records (pids,
parents, command lines, CPU time, when each process was first and last seen, exit
codes of zombies) is the evidence the checks judge; what the submission reports about
itself is only compared against it.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
CMDLINE_SETTLE_S = 2.0  # how long after its first sighting a process's command line is read again
SAMPLE_SHARE_BOUND = 5.0  # the sampling thread waits at least this many times a sample's CPU cost


@dataclass(frozen=True)
class ProcessRecord:
    """One process of the sandbox as the grader saw it."""

    pid: int
    ppid: int
    role: str  # "main", "worker", "helper" (resource tracker, fork server) or "jail"
    cmdline: str
    first_seen: float
    last_seen: float
    cpu_s: float
    exit_code: int | None
    samples: int
    cpu_trace: tuple[tuple[float, float], ...] = ()
    ns_pid: int = 0  # the pid the process sees itself as (inside a PID namespace), 0 if unknown
    sleep_trace: tuple[tuple[float, float], ...] = ()  # (stamp, seconds seen in a sleep so far)
    appeared_after: float = 0.0  # it started no earlier: the sample before its first sighting, or its start time
    gone_by: float | None = None  # the first sample that found it exited (None: alive at the last)

    def possible_lifetime(self) -> tuple[float, float]:
        """The longest it can have lived: from the sample before it was first seen (or its start
        time, if later) to the sample that found it exited. ``first_seen``..``last_seen`` is the
        shortest; on a busy machine the samples are further apart and the two differ more."""
        return self.appeared_after, math.inf if self.gone_by is None else self.gone_by

    @property
    def own_pid(self) -> int:
        """The pid as the submission's code sees it (``os.getpid()`` inside the sandbox)."""
        return self.ns_pid or self.pid

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds this process used between two instants of the grader's clock."""
        return _between(self.cpu_trace, start, end)

    def sleep_between(self, start: float, end: float) -> float:
        """Seconds this process's main thread was seen sitting in a sleep (``clock_nanosleep``
        or ``nanosleep``) between two instants of the grader's clock, from samples."""
        return _between(self.sleep_trace, start, end)


def _between(trace: tuple[tuple[float, float], ...], start: float, end: float) -> float:
    before = until = 0.0
    for stamp, value in trace:
        if stamp <= start:
            before = value
        if stamp <= end:
            until = value
    return max(0.0, until - before)


# The sleep system calls by machine (the first field of /proc/PID/syscall).
SLEEP_CALLS = {"x86_64": {35, 230}, "aarch64": {101, 115}, "armv7l": {162, 265}, "i686": {162, 267}}.get(
    os.uname().machine if hasattr(os, "uname") else "", set()
)


def read_syscall(pid: int) -> int | None:
    """The system call the process's main thread is blocked in, if any (root or same user)."""
    try:
        first = _read(f"/proc/{pid}/syscall").split(b" ", 1)[0]
    except OSError:
        return None
    return int(first) if first.lstrip(b"-").isdigit() else None


def read_wakeups(pid: int) -> int:
    """Context switches of the process's main thread so far (``/proc/PID/status``): each time
    it blocked or was preempted. They grow whenever it wakes from a sleep or a wait, however
    little CPU it then uses (CPU time counts in ticks of 10 ms); 0 when the process is gone."""
    try:
        status = _read(f"/proc/{pid}/status")
    except OSError:
        return 0
    switches = (b"voluntary_ctxt_switches:", b"nonvoluntary_ctxt_switches:")
    return sum(int(line.split()[1]) for line in status.splitlines() if line.startswith(switches))


@dataclass
class _Live:
    pid: int
    ppid: int
    start_ticks: int
    cmdline: str
    first_seen: float
    last_seen: float
    cpu_ticks: int = 0
    exit_code: int | None = None
    samples: int = 0
    zombie: bool = False
    trace: list[tuple[float, int]] = field(default_factory=list)
    ns_pid: int = 0
    slept: float = 0.0
    sleeping_since: float | None = None  # stamp of the last sample that found it in a sleep
    sleep_trace: list[tuple[float, float]] = field(default_factory=list)
    reaper: int = 0  # the parent as last seen (it reaps the process)
    reaper_ticks: int = -1  # the reaper's reaped-children CPU when this process was last seen alive
    present: float = 0.0  # stamp of the last sample that found it, alive or a zombie
    appeared_after: float = 0.0  # no later than its start: the sample before its first sighting, or its start time
    gone_by: float | None = None  # stamp of the first sample that found it a zombie or gone
    leaf: bool = True  # never seen with children of its own, nor with reaped children's CPU


@dataclass(frozen=True)
class _Stat:
    state: str
    ppid: int
    cpu_ticks: int
    start_ticks: int
    exit_code: int | None
    child_ticks: int = 0  # CPU of the children it has reaped (cutime + cstime)


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def read_stat(pid: int) -> _Stat | None:
    """Parse ``/proc/PID/stat``; None when the process is gone."""
    try:
        raw = _read(f"/proc/{pid}/stat").decode(errors="replace")
    except OSError:
        return None
    if ")" not in raw:  # read while the process was being torn down
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if len(fields) < 20:
        return None
    exit_code = int(fields[49]) if len(fields) > 49 else None
    return _Stat(
        state=fields[0],
        ppid=int(fields[1]),
        cpu_ticks=int(fields[11]) + int(fields[12]),
        start_ticks=int(fields[19]),
        exit_code=exit_code,
        child_ticks=int(fields[13]) + int(fields[14]),
    )


def read_cmdline(pid: int) -> str:
    try:
        raw = _read(f"/proc/{pid}/cmdline")
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def read_ns_pid(pid: int) -> int:
    """The innermost pid of ``pid`` (the last field of ``NSpid`` in its status), 0 if unknown."""
    try:
        status = _read(f"/proc/{pid}/status").decode(errors="replace")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("NSpid:") and line.split()[-1].isdigit():
            return int(line.split()[-1])
    return 0


def read_pid_namespace(pid: int) -> str | None:
    """The PID namespace ``pid`` is in (``pid:[inode]``), None when unknown."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def read_session(pid: int) -> int | None:
    try:
        raw = _read(f"/proc/{pid}/stat").decode(errors="replace")
        return int(raw[raw.rindex(")") + 2 :].split()[3])
    except (OSError, ValueError, IndexError):
        return None


def children_of(pid: int) -> list[int]:
    """Direct children of every thread of ``pid``."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            text = _read(f"/proc/{pid}/task/{tid}/children")
        except OSError:
            continue
        found.extend(int(token) for token in text.split() if token.isdigit())
    return found


def descendants(root: int, extra_roots: tuple[int, ...] = ()) -> list[int]:
    """``root`` and every process below it (and below each extra root)."""
    seen: list[int] = []
    stack = [root, *extra_roots]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.append(pid)
        stack.extend(children_of(pid))
    return seen


class ProcSource:
    """What the observer reads about processes, from Linux's ``/proc`` (``--observer proc``).

    Another source (``--observer psutil``) answers the same questions; each answer is None,
    0 or empty where the source cannot tell."""

    def tree(self, root: int, extra_roots: tuple[int, ...] = ()) -> list[int]:
        """``root`` and every process below it (and below each extra root), parents first."""
        return descendants(root, extra_roots)

    def children(self, pid: int) -> list[int]:
        return children_of(pid)

    def stat(self, pid: int) -> _Stat | None:
        return read_stat(pid)

    def cmdline(self, pid: int) -> str:
        return read_cmdline(pid)

    def ns_pid(self, pid: int) -> int:
        return read_ns_pid(pid)

    def syscall(self, pid: int) -> int | None:
        return read_syscall(pid)

    def session(self, pid: int) -> int | None:
        return read_session(pid)

    def pid_namespace(self, pid: int) -> str | None:
        return read_pid_namespace(pid)

    def wakeups(self, pid: int) -> int:
        return read_wakeups(pid)

    def started_by(self, start_ticks: int, now: float) -> float:
        """An instant of the grader's clock no later than the start of a process found at ``now``
        with this start time (/proc: clock ticks since boot, truncated); 0.0 when unknown."""
        try:
            age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / CLOCK_TICKS
        except (AttributeError, OSError):  # no boot-time clock here
            return 0.0
        return min(now, max(0.0, now - age))


OBSERVERS = ("proc", "psutil")  # the sources by their ``--observer`` names


def source_named(name: str) -> ProcSource:
    """The observer's source by its ``--observer`` name (ValueError for another); psutil is
    imported only when it is asked for."""
    if name == "proc":
        return ProcSource()
    if name == "psutil":
        from grader.sandbox.psutil_source import PsutilSource

        return PsutilSource()
    raise ValueError(f"unknown observer {name!r}; choose from {', '.join(OBSERVERS)}")


def exit_status_word(code: int) -> int:
    """Decode the wait status stored in ``/proc/PID/stat`` into an exit code (-N: signal N)."""
    if code & 0x7F:
        return -(code & 0x7F)
    return (code >> 8) & 0xFF


@dataclass
class TreeObserver:
    """Samples the tree below ``root`` until stopped."""

    root: int
    interval: float = 0.01
    jailed: bool = False  # the root is the jail, and its child the harness (PID namespace)
    failed_samples: int = 0
    baseline_children: frozenset[int] = frozenset()
    claim_all_orphans: bool = False  # no other run of this grader runs meanwhile
    on_new: Callable[[int], None] | None = None  # told each new process's own pid, once, as first seen
    source: ProcSource = field(default_factory=ProcSource)  # where process facts are read (proc, psutil)
    _pidns: str | None = None
    _records: dict[tuple[int, int], _Live] = field(default_factory=dict)
    _alive_keys: set[tuple[int, int]] = field(default_factory=set)  # alive in the previous sample
    _unsettled: list[_Live] = field(default_factory=list)  # found gone in the previous sample, not yet credited
    _previous: float = 0.0  # stamp of the latest sample (0.0 before the first)
    longest_gap: float = 0.0  # the longest time between two samples so far (a busy machine spaces them)
    _helpers: set[tuple[int, int]] = field(default_factory=set)  # helpers named by the harness (mark_helpers)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sampling: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="mpgrade-observer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        pause = self.interval
        while not self._stop.wait(pause):
            spent = time.thread_time()
            try:
                self.sample()
            except (OSError, ValueError, IndexError):
                self.failed_samples += 1  # one bad read must not end the observation
            # The thread spends at most about a sixth of its time sampling: a sample every
            # ``interval`` when it is cheap (/proc: 0.2 ms of CPU for five processes), less
            # often when it is not (psutil: about 4.5 ms, as it lists the whole machine).
            pause = max(self.interval, SAMPLE_SHARE_BOUND * (time.thread_time() - spent))

    def orphans(self) -> tuple[int, ...]:
        """Processes of this run reparented to the grader (as subreaper) since the run began.

        Other runs of the grader may be running meanwhile, so a new child of the grader is
        this run's only if it is in the run's PID namespace (jailed), else in its session,
        or (``claim_all_orphans``) when no other run of ours can be running."""
        if self.jailed:
            root = self.source.stat(self.root)
            if root is not None and root.state != "Z":
                return ()  # process 1 is still the jail's child: nothing of the run can be the grader's
        found = []
        for pid in self.source.children(os.getpid()):
            if pid in self.baseline_children or pid == self.root:
                continue
            if self.jailed:
                if self._pidns is not None and self.source.pid_namespace(pid) == self._pidns:
                    found.append(pid)
            elif self.claim_all_orphans or self.source.session(pid) == self.root:
                found.append(pid)
        return tuple(found)

    def _learn_namespace(self) -> None:
        """The run's PID namespace, from the jail's child (process 1 of it), once it is there."""
        outside = self.source.pid_namespace(self.root)
        for child in self.source.children(self.root):
            inside = self.source.pid_namespace(child)
            if inside is not None and inside != outside:
                self._pidns = inside
                return

    def sample(self) -> list[int]:
        """Take one snapshot; returns the pids alive (not zombies) in it. Snapshots are taken one
        at a time (the launcher takes some between the thread's), each against the one before."""
        with self._sampling:
            return self._sample()

    def _sample(self) -> list[int]:
        now = time.monotonic()
        if self.jailed and self._pidns is None:
            self._learn_namespace()
        alive: list[int] = []
        seen: dict[int, tuple[_Live, _Stat]] = {}
        new: list[int] = []
        source = self.source
        for pid in source.tree(self.root, self.orphans()):
            stat = source.stat(pid)
            if stat is None:
                continue
            with self._lock:
                record = self._records.get((pid, stat.start_ticks))
                if record is None:
                    record = _Live(
                        pid,
                        stat.ppid,
                        stat.start_ticks,
                        source.cmdline(pid),
                        now,
                        now,
                        ns_pid=source.ns_pid(pid),
                        appeared_after=max(self._previous, source.started_by(stat.start_ticks, now)),
                    )
                    self._records[(pid, stat.start_ticks)] = record
                    if record.ns_pid or not self.jailed:
                        new.append(record.ns_pid or record.pid)
                else:
                    self._recheck(record, pid, now, new)
                seen[pid] = (record, stat)
                record.present = now
                if stat.state == "Z":
                    if not record.zombie:
                        record.zombie = True
                        record.gone_by = now
                        if stat.exit_code is not None:
                            record.exit_code = exit_status_word(stat.exit_code)
                        self._note_cpu(record, stat.cpu_ticks, now)  # a zombie keeps its final CPU time
                    continue
                record.last_seen = now
                record.gone_by = None  # found alive again after a sample that missed it
                self._note_cpu(record, stat.cpu_ticks, now)
                record.samples += 1  # ppid stays as first seen: reparenting at teardown must not change roles
                self._note_sleep(record, stat.state == "S" and source.syscall(pid) in SLEEP_CALLS, now)
            alive.append(pid)
        with self._lock:
            self._settle_vanished(seen, now)
            if self._previous:
                self.longest_gap = max(self.longest_gap, now - self._previous)
            self._previous = now
        if self.on_new is not None:
            for own_pid in new:
                self.on_new(own_pid)
        return alive

    def _recheck(self, record: _Live, pid: int, now: float, new: list[int]) -> None:
        """Read again what may not have been readable, or final, at a process's first sighting."""
        if record.zombie:
            return
        if self.jailed and not record.ns_pid:
            # Its pid inside the run was not read then: without it, the run's own view of the
            # process (os.getpid() in it) would match nothing seen, and it would not be marked seen.
            record.ns_pid = self.source.ns_pid(pid)
            if record.ns_pid:
                new.append(record.ns_pid)
        if record.samples < 4 or now - record.first_seen < CMDLINE_SETTLE_S:
            # A child is first seen with its parent's command line, until it executes its own (the
            # fork server, the resource tracker): on a loaded machine that can take far longer than
            # a few samples, and a stale line would make the fork server a worker and its workers helpers.
            record.cmdline = self.source.cmdline(pid) or record.cmdline

    @staticmethod
    def _note_cpu(record: _Live, ticks: int, now: float) -> None:
        if ticks > record.cpu_ticks or not record.trace:
            record.cpu_ticks = max(record.cpu_ticks, ticks)
            record.trace.append((now, record.cpu_ticks))

    def _settle_vanished(self, seen: dict[int, tuple[_Live, _Stat]], now: float) -> None:
        """Give a process that exited and was reaped between two samples the CPU it used after
        the last one, from what its reaper's reaped-children CPU grew by meanwhile.

        The kernel adds a reaped child's CPU to its parent's ``cutime``/``cstime``. A sample
        reads a parent's stat before its children's, and the sampling thread can be held up
        between the two reads on a busy machine: a child found gone in one sample may have been
        reaped after its parent was read, so the growth shows only in the next sample. A child
        found gone is therefore settled in that sample or, failing that, in the next one, then
        given up. Credited only when the child was never seen with children (so no observed
        process's CPU is counted twice) and is the only child of that reaper awaiting
        settlement; otherwise nothing is. The growth, less the CPU of siblings found as zombies
        and reaped meanwhile (already theirs), is then the child's own work, plus that of any
        process started and reaped unseen meanwhile: work done in child processes either way,
        never the caller's. Capped by the wall time since the child was last seen, times the
        cores."""
        parents = {stat.ppid for _, stat in seen.values()}
        for pid, (record, stat) in seen.items():
            if stat.state == "Z":
                record.reaper = stat.ppid
                continue
            if stat.child_ticks or pid in parents:
                record.leaf = False
            parent = seen.get(stat.ppid)
            record.reaper = stat.ppid
            record.reaper_ticks = parent[1].child_ticks if parent is not None else -1
        gone = [self._records[key] for key in self._alive_keys if key[0] not in seen]
        for record in gone:
            if record.gone_by is None:
                record.gone_by = now
        by_reaper: dict[int, list[_Live]] = {}
        for record in (*self._unsettled, *gone):
            by_reaper.setdefault(record.reaper, []).append(record)
        self._unsettled = []
        for reaper, vanished in by_reaper.items():
            parent = seen.get(reaper)
            if len(vanished) != 1 or parent is None or parent[1].state == "Z":
                continue
            record = vanished[0]
            if not record.leaf or record.reaper_ticks < 0:
                continue
            reaped = self._reaped_zombies(reaper, record, seen)
            if not self._credit(record, parent[1].child_ticks - reaped, now) and any(record is g for g in gone):
                self._unsettled.append(record)
        self._alive_keys = {(r.pid, r.start_ticks) for r, st in seen.values() if st.state != "Z"}

    def _reaped_zombies(self, reaper: int, record: _Live, seen: dict[int, tuple[_Live, _Stat]]) -> int:
        """CPU of the reaper's other children that were found as zombies no earlier than
        ``record`` was last seen alive and are gone now: reaped since, so their CPU (already
        counted as theirs) is part of the reaper's growth too, and is not ``record``'s."""
        return sum(
            other.cpu_ticks
            for other in self._records.values()
            if other is not record
            and other.zombie
            and other.reaper == reaper
            and other.present >= record.last_seen
            and seen.get(other.pid, (None,))[0] is not other
        )

    @staticmethod
    def _credit(record: _Live, reaper_ticks: int, now: float) -> bool:
        """Credit a vanished child with its reaper's reaped-children CPU growth since the child
        was last seen alive; False when there was none to credit."""
        grown = reaper_ticks - record.reaper_ticks
        cap = int((now - record.last_seen) * (os.cpu_count() or 1) * CLOCK_TICKS) + 1
        final = record.cpu_ticks + min(max(0, grown - record.cpu_ticks), cap)
        if grown > record.cpu_ticks and final > record.cpu_ticks:
            record.cpu_ticks = final
            record.trace.append((now, final))
            return True
        return False

    @staticmethod
    def _note_sleep(record: _Live, asleep: bool, now: float) -> None:
        """Credit the time since the previous sample when both found the process in a sleep."""
        if asleep and record.sleeping_since is not None:
            record.slept += now - record.sleeping_since
            record.sleep_trace.append((now, record.slept))
        record.sleeping_since = now if asleep else None

    def alive(self) -> frozenset[int]:
        """The processes alive (not zombies) in the latest sample (the thread takes one every
        ``interval``)."""
        with self._lock:
            return frozenset(pid for pid, _ in self._alive_keys)

    def total_cpu(self) -> int:
        """CPU clock ticks used so far by every process seen (exited ones included)."""
        with self._lock:
            return sum(record.cpu_ticks for record in self._records.values())

    def mark_helpers(self, own_pids: frozenset[int]) -> None:
        """The processes of the tree with these pids (as the run sees them) are the start
        method's helpers that the harness forked; their command line is the harness's."""
        self.sample()
        with self._lock:
            for key, record in self._records.items():
                if (record.ns_pid or record.pid) in own_pids and not record.zombie:
                    self._helpers.add(key)

    def stop(self) -> tuple[ProcessRecord, ...]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.records()

    def records(self) -> tuple[ProcessRecord, ...]:
        with self._lock:
            live = list(self._records.values())
            helpers = set(self._helpers)
        by_pid = {record.pid: record for record in live}
        return tuple(
            ProcessRecord(
                pid=record.pid,
                ppid=record.ppid,
                role=_role(record, by_pid, self.root, self.jailed, helpers),
                cmdline=record.cmdline,
                first_seen=record.first_seen,
                last_seen=record.last_seen,
                cpu_s=record.cpu_ticks / CLOCK_TICKS,
                exit_code=record.exit_code,
                samples=record.samples,
                cpu_trace=tuple((stamp, ticks / CLOCK_TICKS) for stamp, ticks in record.trace),
                ns_pid=record.ns_pid,
                sleep_trace=tuple(record.sleep_trace),
                appeared_after=record.appeared_after,
                gone_by=record.gone_by,
            )
            for record in sorted(live, key=lambda r: r.first_seen)
        )


def _role(record: _Live, by_pid: dict[int, _Live], root: int, jailed: bool, helpers: set[tuple[int, int]]) -> str:
    if (record.pid, record.start_ticks) in helpers:
        return "helper"
    if record.pid == root:
        return "jail" if jailed else "main"
    if jailed and record.ppid == root:
        return "main"
    if "multiprocessing.resource_tracker" in record.cmdline:
        return "helper"
    if "multiprocessing.forkserver" in record.cmdline:
        parent = by_pid.get(record.ppid)
        if parent is None or "multiprocessing.forkserver" not in parent.cmdline:
            return "helper"
    return "worker"
