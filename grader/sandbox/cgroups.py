"""One control group per sandbox run (root only): a process cap, a memory cap, a sure kill.

Cgroup v2 (``/sys/fs/cgroup/cgroup.controllers`` lists pids and memory) is preferred;
otherwise the v1 ``pids`` and ``memory`` hierarchies. Every process the run starts stays
in the group whatever it does (setsid, double fork), so killing the group's members
until it is empty ends all of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Cgroup:
    version: str  # "v1" or "v2"
    dirs: tuple[Path, ...]  # v2: one; v1: the pids and the memory group

    @property
    def procs_files(self) -> tuple[str, ...]:
        return tuple(str(d / "cgroup.procs") for d in self.dirs)

    def members(self) -> set[int]:
        found: set[int] = set()
        for path in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(line) for line in Path(path).read_text().split())
        return found

    def kill(self, limit_s: float = 5.0) -> None:
        """SIGKILL every member until the group is empty (v2: ``cgroup.kill`` first)."""
        if self.version == "v2":
            with contextlib.suppress(OSError):
                (self.dirs[0] / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + limit_s
        while (members := self.members()) and time.monotonic() < deadline:
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def oom_kills(self) -> int:
        """How many processes the memory cap killed."""
        if self.version == "v2":
            return _field(self.dirs[0] / "memory.events", "oom_kill")
        return _field(self.dirs[1] / "memory.oom_control", "oom_kill")

    def process_cap_hits(self) -> int:
        """How many times a fork failed because the process cap was reached."""
        return _field(self.dirs[0] / "pids.events", "max")

    def remove(self) -> None:
        for directory in self.dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _field(path: Path, name: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    return 0


def v2_available() -> bool:
    with contextlib.suppress(OSError):
        return {"pids", "memory"} <= set((ROOT / "cgroup.controllers").read_text().split())
    return False


def v1_available() -> bool:
    return (ROOT / "pids" / "cgroup.procs").exists() and (ROOT / "memory" / "cgroup.procs").exists()


def create(version: str, max_processes: int, max_memory_bytes: int) -> Cgroup:
    """Make a fresh group with the caps; raises OSError where that is not allowed."""
    name = f"mpgrade-{uuid.uuid4().hex[:12]}"
    if version == "v2":
        parent = ROOT / "mpgrade"
        parent.mkdir(exist_ok=True)
        with contextlib.suppress(OSError):
            (ROOT / "cgroup.subtree_control").write_text("+pids +memory")
        (parent / "cgroup.subtree_control").write_text("+pids +memory")
        directory = parent / name
        directory.mkdir()
        (directory / "pids.max").write_text(str(max_processes))
        (directory / "memory.max").write_text(str(max_memory_bytes))
        if (directory / "memory.swap.max").exists():
            (directory / "memory.swap.max").write_text("0")
        return Cgroup("v2", (directory,))
    pids, memory = ROOT / "pids" / name, ROOT / "memory" / name
    pids.mkdir()
    memory.mkdir()
    group = Cgroup("v1", (pids, memory))
    try:
        (pids / "pids.max").write_text(str(max_processes))
        (memory / "memory.limit_in_bytes").write_text(str(max_memory_bytes))
        with contextlib.suppress(OSError):
            (memory / "memory.memsw.limit_in_bytes").write_text(str(max_memory_bytes))
    except OSError:
        group.remove()
        raise
    return group
