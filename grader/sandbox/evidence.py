"""Reading what a run wrote as evidence (stacks, records, rendezvous), safely.

The run's processes write these files inside the sandbox, so they are the submission's
to tamper with: only regular files are read, never through a link, never blocking (a
FIFO in place of a record must not hang the grader), and never more than a bound.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

MAX_FILES = 512  # one per process of the run; more is a flood, not evidence


def read(path: Path, limit: int = 8 << 20) -> str | None:
    """A file the run wrote, read safely: only a regular file, never through a link, never
    blocking (a FIFO planted by the submission must not hang the grader), at most ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit).decode(errors="replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def take_lines(folder: Path, limit: int = 8 << 20) -> str:
    """The JSON lines written into ``folder`` since the last look (then deleted, so that the
    next call of the same sandbox starts empty)."""
    texts = []
    try:
        paths = sorted(folder.glob("*.jsonl"))[:MAX_FILES]
    except OSError:
        return ""
    for path in paths:
        texts.append(read(path, limit) or "")
        with contextlib.suppress(OSError):
            path.unlink()
    return "\n".join(texts)


def sleepers(folder: Path) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
    """Pids that reached the rendezvous (``pid-<pid>``), and for each task ``n`` the pids that
    slept for it (``task_<n>_<pid>``)."""
    try:
        names = os.listdir(folder)
    except OSError:  # the run's filesystem is gone with it
        return (), {}
    pids = tuple(sorted(int(name[4:]) for name in names if name.startswith("pid-") and name[4:].isdigit()))
    tasks: dict[int, set[int]] = {}
    for name in names:
        parts = name.split("_")
        if len(parts) == 3 and parts[0] == "task" and parts[1].lstrip("-").isdigit() and parts[2].isdigit():
            tasks.setdefault(int(parts[1]), set()).add(int(parts[2]))
    return pids, {n: tuple(sorted(found)) for n, found in tasks.items()}
