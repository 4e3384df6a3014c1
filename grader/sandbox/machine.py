"""The machine as a shared resource: runs that may share it, and runs that need it alone.

Every sandbox run of every grading on this machine takes one host-wide lock: shared for
ordinary runs (they mostly wait: injected sleeps, joins, rendezvous), exclusive for runs
whose CPU timing is judged (the speedup measurements), so that nothing else of ours runs
while they measure. Exclusive runs go first: a turnstile stops new shared runs from
starting while one waits. The locks are ``flock`` locks on files in a fixed directory,
so they die with their holder (a grading killed with SIGKILL never blocks the next one),
and they work across processes and threads alike (each acquisition opens the file anew).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_DIR = Path(os.environ.get("MPGRADE_LOCK_DIR", "/tmp/mpgrade-machine"))


def _open(name: str) -> int:
    LOCK_DIR.mkdir(mode=0o1777, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        LOCK_DIR.chmod(0o1777)  # every user's gradings share it
    fd = os.open(LOCK_DIR / name, os.O_RDWR | os.O_CREAT, 0o666)
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


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """Hold the machine together with other shared runs (waits while an exclusive run waits or runs)."""
    gate = _take("turnstile", fcntl.LOCK_SH)
    try:
        held = _take("machine", fcntl.LOCK_SH)
    finally:
        _release(gate)
    try:
        yield
    finally:
        _release(held)


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


def hold(alone: bool) -> contextlib.AbstractContextManager[None]:
    return exclusive() if alone else shared()
