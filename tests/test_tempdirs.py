"""The grader's temporary folders: what dead gradings left goes, what live ones use stays.

A grading killed with SIGKILL can leave its folders; its children may linger as zombies
under a subreaper that does not reap them (a test process that graded in-process, a
batch). A zombie has ended: its folders go too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from grader import tempdirs


def _state(pid: int) -> bytes:
    return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[-1].split()[0]


def _zombie() -> subprocess.Popen[bytes]:
    """A child that has exited and is not reaped yet (kept referenced, so nothing reaps it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _state(child.pid) != b"Z":
        time.sleep(0.01)
    assert _state(child.pid) == b"Z", "the child never became a zombie"
    return child


def test_folders_of_dead_and_zombie_gradings_go_those_of_live_ones_stay(tmp_path: Path) -> None:
    child = _zombie()
    zombie = child.pid
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    names = {
        "live": f"mpgrade-run-{os.getpid()}-a",
        "zombie": f"mpgrade-suite-{zombie}-b",
        "dead": f"mpgrade-batch-{int(dead.stdout)}-c",
        "other": "somebody-else-1-d",
    }
    for name in names.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "file").write_text("x")
    removed = tempdirs.sweep_dead(tmp_path)
    assert sorted(removed) == sorted([names["zombie"], names["dead"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names["live"], names["other"]])
    assert _state(zombie) == b"Z"  # it was a zombie while the sweep looked
    child.wait()
