"""Finding and killing every process of a sandbox, wherever it went.

The grader's process becomes a child subreaper (Linux), so descendants whose parents
died are reparented to it instead of to init; it can then see and kill them. A tree
kill is repeated sweeps: the session's process group, every descendant of the root,
every process reparented to the grader since the run began, until none is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from typing import Protocol

from grader.sandbox.observer import children_of, descendants, read_stat

PR_SET_CHILD_SUBREAPER = 36
SWEEPS = 100


class _Tree(Protocol):
    root: int

    def orphans(self) -> tuple[int, ...]: ...

    def sample(self) -> list[int]: ...


def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants; False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> bool:
    """SIGKILL this process when ``parent`` (its parent now) dies; exits at once if it already
    has. False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if armed and os.getppid() != parent:
        os._exit(1)
    return bool(armed)


def own_children() -> list[int]:
    return children_of(os.getpid())


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def kill_tree(root: int, tree: _Tree, spare: frozenset[int] = frozenset()) -> int:
    """SIGKILL every process of the tree (but ``spare``) until none is left; returns the sweeps used."""
    if not spare:
        with contextlib.suppress(OSError):
            os.killpg(root, signal.SIGKILL)
    for sweep in range(SWEEPS):
        live = [pid for pid in descendants(root, tree.orphans()) if _alive(pid) and pid not in spare]
        if not live:
            _reap(list(tree.orphans()))
            return sweep
        for pid in live:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _reap(list(tree.orphans()))
        time.sleep(0.005)
    _reap(list(tree.orphans()))
    return SWEEPS


def _alive(pid: int) -> bool:
    stat = read_stat(pid)
    return stat is not None and stat.state != "Z"
