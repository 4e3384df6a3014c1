"""The grader's temporary directories, named after the process that made them.

``mpgrade-<kind>-<pid>-<random>``: a grading removes its own when it ends; one killed
with SIGKILL cannot, so the next batch removes those whose process is gone
(:func:`sweep_dead`). Nothing of a live grading is ever touched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

PATTERN = re.compile(r"^mpgrade-(run|suite|boot|batch|intake|notebook)-(\d+)-")


def make(kind: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"mpgrade-{kind}-{os.getpid()}-"))


def prefix(kind: str) -> str:
    return f"mpgrade-{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie does not: it has ended and waits to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): the signal says it exists


def sweep_dead(directory: Path | None = None) -> list[str]:
    """Remove what gradings that no longer run left in the temporary directory; returns the names."""
    where = Path(directory or tempfile.gettempdir())
    removed: list[str] = []
    try:
        names = os.listdir(where)
    except OSError:
        return removed
    for name in names:
        match = PATTERN.match(name)
        if match and not _alive(int(match[2])):
            shutil.rmtree(where / name, ignore_errors=True)
            removed.append(name)
    return removed
