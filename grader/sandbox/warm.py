"""The grader's side of the warm launcher (``boot/_mpgrade_zygote.py``).

One launcher process per grading process, started on the first run that needs it and
shared by every thread of the grader; it forks each run with every layer of the jail on,
so that a run starts in a fraction of the time two fresh interpreters take. A run started
this way is handled through :class:`WarmProcess`, which offers what the launcher needs of
``subprocess.Popen``. Where the launcher cannot start or dies, runs fall back to the
cold path (a fresh interpreter behind the jail), which is always correct, only slower.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

WARM_VAR = "MPGRADE_WARM"  # "0": every run starts cold (for comparison and debugging)
REPLY_WAIT_S = 10.0


class LauncherGone(OSError):
    """The launcher is not running; the caller starts the run cold."""


class WarmProcess:
    """A run's outer process, forked by the launcher: a small part of ``Popen``'s interface."""

    def __init__(self, pid: int, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._ended = threading.Event()

    def _end(self, status: int) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired("sandbox", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)


class Launcher:
    def __init__(self, python: str, boot: Path) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            # what every process of a warm run shows as its starting environment (/proc/PID/environ)
            **({"MPGRADE_TAG": os.environ["MPGRADE_TAG"]} if os.environ.get("MPGRADE_TAG") else {}),
        }
        script = boot / "_mpgrade_zygote.py"
        self.process = subprocess.Popen(
            [python, "-B", "-X", "faulthandler", str(script), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
            cwd="/",
            start_new_session=True,  # a Ctrl-C of the grader is the grader's to handle
        )
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.replies: dict[int, Any] = {}
        self.waiting: dict[int, threading.Event] = {}
        self.running: dict[int, WarmProcess] = {}
        self.early_exits: dict[int, int] = {}
        self.alive = True
        threading.Thread(target=self._read, name="mpgrade-warm", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            message = json.loads(data)
            with self.lock:
                if "exit" in message:
                    process = self.running.pop(message["exit"], None)
                    if process is None:
                        self.early_exits[message["exit"]] = message["status"]
                    else:
                        process._end(message["status"])
                elif message.get("id") in self.waiting:
                    self.replies[message["id"]] = message
                    self.waiting.pop(message["id"]).set()
        with self.lock:
            self.alive = False
            for event in self.waiting.values():
                event.set()
            for process in self.running.values():
                process._end(0xFF00)  # unknown: the launcher is gone; its runs died with it
            self.running.clear()

    def start(
        self, spec: dict[str, Any], env: dict[str, str], cwd: str, boot: str, harness: str, fds: list[int]
    ) -> int:
        """Fork a run; returns the pid of its outer process. ``fds``: stdout, stderr, ctl, result."""
        ident = next(self.ids)
        event = threading.Event()
        request = {"id": ident, "spec": spec, "env": env, "cwd": cwd, "boot": boot, "harness": harness}
        with self.lock:
            if not self.alive:
                raise LauncherGone("the warm launcher has stopped")
            self.waiting[ident] = event
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
        except OSError as error:
            with self.lock:
                self.waiting.pop(ident, None)
            raise LauncherGone(f"the warm launcher does not answer: {error}") from error
        if not event.wait(REPLY_WAIT_S):
            raise LauncherGone("the warm launcher did not answer in time")
        with self.lock:
            reply = self.replies.pop(ident, None)
        if reply is None or "pid" not in reply:
            raise LauncherGone(f"the warm launcher could not start the run: {reply and reply.get('error')}")
        return int(reply["pid"])

    def adopt(self, pid: int, stdout: IO[bytes], stderr: IO[bytes]) -> WarmProcess:
        process = WarmProcess(pid, stdout, stderr)
        with self.lock:
            if pid in self.early_exits:
                process._end(self.early_exits.pop(pid))
            elif not self.alive:
                process._end(0xFF00)
            else:
                self.running[pid] = process
        return process

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2.0)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


_launchers: dict[tuple[str, str], Launcher] = {}
_guard = threading.Lock()


@atexit.register
def _close_all() -> None:
    """At exit, each launcher is told to stop and waited for (so that it is not left behind)."""
    for found in list(_launchers.values()):
        found.close()


def enabled() -> bool:
    return os.environ.get(WARM_VAR, "1") != "0"


def launcher(python: str, boot: Path) -> Launcher | None:
    """This process's launcher for ``python`` (started now if need be); None if it cannot run."""
    key = (python, str(boot))
    with _guard:
        current = _launchers.get(key)
        if current is not None and current.alive and current.process.poll() is None:
            return current
        try:
            _launchers[key] = Launcher(python, boot)
        except OSError:
            return None
        return _launchers[key]


def spawn(
    python: str,
    boot: Path,
    spec: dict[str, Any],
    env: dict[str, str],
    cwd: str,
    run_boot: str,
    harness: str,
    ctl: int,
    result: int,
) -> WarmProcess:
    """Start a run through the launcher, with the run's ends of the control and result pipes;
    its stdout and stderr are new pipes. Raises LauncherGone if it cannot."""
    found = launcher(python, boot)
    if found is None:
        raise LauncherGone("the warm launcher cannot start")
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        pid = found.start(spec, env, cwd, run_boot, harness, [out_write, err_write, ctl, result])
    except BaseException:
        for fd in (out_read, err_read):
            os.close(fd)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    return found.adopt(pid, os.fdopen(out_read, "rb"), os.fdopen(err_read, "rb"))
