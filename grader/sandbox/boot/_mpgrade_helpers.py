"""The forkserver start method's helpers, forked from the harness before any student code.

Standard library only. Under forkserver, the first process a run starts makes
multiprocessing start two helpers, each a fresh interpreter with the instrumentation: the
resource tracker and the fork server. Most runs start processes, so most runs paid both
start-ups (about 30 ms of CPU each, the fork server's on the path of every first worker).

:func:`start` makes multiprocessing start them itself, through its own code, at a moment
when the harness has imported the instrumentation and the submission's path but no code
of the submission: only the step that would execute a new interpreter is replaced by a
fork that runs the same command (``-c ...``) in the forked process, which holds exactly
the passed file descriptors. What the fork server forks later is as clean of the
submission's state as a fresh fork server's workers are: fork-only code still fails.
Both helpers are children of the harness, as multiprocessing expects, and multiprocessing
in the harness finds them running and uses them. Their command lines are the harness's,
so the harness names their pids to the grader, which believes only the first such
message, sent before the submission is imported (the submission's code can write to the
harness's pipe, but only later).

Two differences from a fork server started when the submission first needs one: what the
submission passes to ``set_forkserver_preload`` comes too late for it, and it runs even in
a run whose code never uses forkserver (it then only waits).
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Sequence


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()


def _keep_only(fds: Sequence[int]) -> None:
    """Close every file descriptor but the standard streams and ``fds``."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        limit = 65536
    if limit <= 0 or limit > 65536:
        limit = 65536
    previous = 2
    for fd in sorted({fd for fd in fds if fd > 2}):
        os.closerange(previous + 1, fd)
        previous = fd
    os.closerange(previous + 1, limit)


def _run_command(args: Sequence[str], passfds: Sequence[int]) -> int:
    """In the forked helper: what ``python -c CODE`` with ``passfds`` would do. Returns the exit status."""
    instrumentation = sys.modules.get("sitecustomize")
    if instrumentation is not None and hasattr(instrumentation, "became_helper"):
        instrumentation.became_helper()
    _keep_only(passfds)
    if instrumentation is not None and hasattr(instrumentation, "reopen_stack_dumps"):
        instrumentation.reopen_stack_dumps()
    code = args[list(args).index("-c") + 1]
    try:
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as leaving:
        return leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on stderr, as the interpreter would
        traceback.print_exc()
        return 1
    return 0


def _fork_instead(path: str, args: Sequence[str], passfds: Sequence[int]) -> int:
    """Stands in for ``multiprocessing.util.spawnv_passfds`` while :func:`start` runs."""
    _flush()  # nothing buffered is written twice
    instrumentation = sys.modules.get("sitecustomize")
    if instrumentation is not None:
        instrumentation.helper_fork = True  # the instrumentation's start pause is for workers only
    try:
        pid = os.fork()
    finally:
        if instrumentation is not None:
            instrumentation.helper_fork = False
    if pid == 0:
        status = 1
        try:
            status = _run_command(args, passfds)
        finally:
            _flush()
            os._exit(status)
    return pid


def start() -> list[int]:
    """Start the resource tracker and the fork server now; returns the pids of those that run
    (where a fork fails, multiprocessing starts that helper itself when it needs it)."""
    from multiprocessing import forkserver, resource_tracker, util

    real = util.spawnv_passfds
    util.spawnv_passfds = _fork_instead
    try:
        forkserver.ensure_running()
    except Exception:  # noqa: BLE001 - the run goes on as without this module
        traceback.print_exc()
    finally:
        util.spawnv_passfds = real
    pids = [resource_tracker._resource_tracker._pid, forkserver._forkserver._forkserver_pid]
    return [pid for pid in pids if pid]
