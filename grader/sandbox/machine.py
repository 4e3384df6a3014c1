"""The machine as a shared resource: runs that may share it, and runs that need it alone.

Every sandbox run of every grading on this machine takes one host-wide lock: shared for
ordinary runs (they mostly wait: injected sleeps, joins, rendezvous), exclusive for runs
whose CPU timing is judged (the speedup measurements), so that nothing else of ours runs
while they measure. Exclusive runs go first: a turnstile stops new shared runs from
starting while one waits. Shared runs are bounded too: each holds one of ``slots`` slot
locks, so a grading never has more than its ``--jobs`` runs on the machine at once. The
locks are ``flock`` locks on files in a fixed directory, so they die with their holder (a
grading killed with SIGKILL never blocks the next one), and they work across processes
and threads alike (each acquisition opens the file anew).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_DIR = Path(os.environ.get("MPGRADE_LOCK_DIR", "/tmp/mpgrade-machine"))


_ready: set[Path] = set()  # lock folders this process has made and opened to every user


def _prepare(folder: Path) -> None:
    folder.mkdir(mode=0o1777, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        folder.chmod(0o1777)  # every user's gradings share it
    _ready.add(folder)


def _open(name: str) -> int:
    """A new descriptor of a lock file (the folder is made once per process, a file once per
    machine: a waiting run opens files many times, so this stays a single system call)."""
    folder = LOCK_DIR
    if folder not in _ready:
        _prepare(folder)
    try:
        return os.open(folder / name, os.O_RDWR)
    except FileNotFoundError:
        _prepare(folder)  # first use of this lock, or the folder was removed meanwhile
    fd = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o666)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)
    return fd


def _take(name: str, mode: int) -> int:
    fd = _open(name)
    try:
        fcntl.flock(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


_slots = 1  # shareable runs of this process at once (``configure``)
SLOT_POLL_S = 0.005


def configure(slots: int) -> None:
    """How many shareable runs of this grading may run at once (its ``--jobs``)."""
    global _slots
    _slots = max(1, slots)


def slots() -> int:
    return _slots


def _try_slots() -> int | None:
    """One of the first ``_slots`` slot locks if one is free now (runs of other gradings with
    the same setting compete for the same slots, so the bound is host-wide)."""
    for index in range(_slots):
        fd = _open(f"slot-{index}")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        return fd
    return None


def _take_slot() -> int:
    """A slot, whichever is free first. Runs that find none line up on a queue lock and only
    the first in line looks again every ``SLOT_POLL_S``: a batch's many waiting runs cost the
    CPU of one."""
    fd = _try_slots()
    if fd is not None:
        return fd
    queue = _take(f"slot-queue-{_slots}", fcntl.LOCK_EX)
    try:
        while (fd := _try_slots()) is None:
            time.sleep(SLOT_POLL_S)
        return fd
    finally:
        _release(queue)


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """Hold the machine together with other shared runs, at most ``_slots`` at once (waits
    while an exclusive run waits or runs)."""
    slot = _take_slot()
    try:
        gate = _take("turnstile", fcntl.LOCK_SH)
        try:
            held = _take("machine", fcntl.LOCK_SH)
        finally:
            _release(gate)
        try:
            yield
        finally:
            _release(held)
    finally:
        _release(slot)


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Hold the machine alone: no other run of any grading on this machine runs meanwhile."""
    gate = _take("turnstile", fcntl.LOCK_EX)
    try:
        held = _take("machine", fcntl.LOCK_EX)
        try:
            yield
        finally:
            _release(held)
    finally:
        _release(gate)


_thread = threading.local()


@contextlib.contextmanager
def alone() -> Iterator[None]:
    """The machine alone for a block of runs (a whole speedup measurement, so that no other run
    starts between its timed runs); the runs this thread makes inside the block need no lock."""
    if getattr(_thread, "alone", False):
        yield
        return
    with exclusive():
        _thread.alone = True
        try:
            yield
        finally:
            _thread.alone = False


def hold(alone: bool) -> contextlib.AbstractContextManager[None]:
    if getattr(_thread, "alone", False):
        return contextlib.nullcontext()  # inside this thread's block: the machine is ours already
    return exclusive() if alone else shared()
