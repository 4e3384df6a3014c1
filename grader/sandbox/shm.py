"""Shared memory a sandbox left behind in ``/dev/shm``.

A sandbox killed with SIGKILL cannot unlink its POSIX semaphores (``sem.mp-*``) or
``SharedMemory`` segments. After its processes are dead, the grader removes the entries
that appeared during the run and that no live process still has mapped (so another
program's fresh segment is never touched).
"""

from __future__ import annotations

import os
from pathlib import Path

SHM = Path("/dev/shm")


def entries() -> set[str]:
    try:
        return set(os.listdir(SHM))
    except OSError:
        return set()


def _mapped_anywhere(names: set[str]) -> set[str]:
    mapped: set[str] = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            maps = Path(f"/proc/{pid}/maps").read_text(errors="replace")
        except OSError:
            continue
        mapped.update(name for name in names if f"/dev/shm/{name}" in maps)
    return mapped


def release(before: set[str]) -> list[str]:
    """Remove entries created since ``before`` that nothing maps any more; returns their names."""
    new = entries() - before
    if not new:
        return []
    removed = []
    for name in sorted(new - _mapped_anywhere(new)):
        try:
            (SHM / name).unlink()
            removed.append(name)
        except OSError:
            continue
    return removed
