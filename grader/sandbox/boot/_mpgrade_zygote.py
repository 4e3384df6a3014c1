"""The warm launcher: forks each sandbox run from an interpreter that is already up.

Standard library only. Started once per grading process by the grader (as root, when the
jail works) as ``python -B -X faulthandler _mpgrade_zygote.py SOCKET_FD``. It imports the
jail and the standard-library modules the harness and the instrumentation need, but no
multiprocessing and no student code, then serves requests on its socket, one datagram
each, with the run's pipe ends attached:

    {"id", "spec", "env", "cwd", "boot", "harness"} + [stdout, stderr, ctl, result]

For each it forks a child that does exactly what ``python -I _mpgrade_jail.py SPEC --
python harness.py`` does (a new session; the run's cgroups, namespaces and filesystem
view; process 1 of the PID namespace with the run's limits and user), then, instead of
executing a new interpreter, sets the run's environment and ``sys.path``, imports the
boot files afresh from where the run sees them and runs the harness as ``__main__``.
Nothing of one run reaches the next: every run is a fresh fork of this process, which no
run can reach (it is outside their PID, network and mount namespaces and runs no code
of theirs), and the run drops to its user before any of its code is imported.

Replies are ``{"id", "pid"}`` (or ``{"id", "error"}``), and ``{"exit": pid, "status"}``
when a run's outer process ends. The launcher ends when the grader does (its socket
closes, even after SIGKILL), and so does every run in flight: each process of a run has a
parent-death signal towards its parent, and the PID namespace ends with its process 1.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import selectors
import signal
import socket
import sys
import traceback

import _mpgrade_jail as jail

# The standard-library modules that the harness, the instrumentation and multiprocessing
# import, loaded once here; multiprocessing itself is not (each run imports it afresh, so
# its per-process state, such as the authentication key, is the run's own).
PRELOAD = [
    "array",
    "atexit",
    "base64",
    "bisect",
    "bz2",
    "collections",
    "contextlib",
    "copyreg",
    "enum",
    "errno",
    "fcntl",
    "faulthandler",
    "fnmatch",
    "functools",
    "hashlib",
    "heapq",
    "hmac",
    "importlib",
    "importlib.machinery",
    "importlib.util",
    "inspect",
    "io",
    "itertools",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "math",
    "mmap",
    "operator",
    "pickle",
    "queue",
    "random",
    "re",
    "reprlib",
    "runpy",
    "secrets",
    "select",
    "selectors",
    "shutil",
    "signal",
    "socket",
    "string",
    "struct",
    "subprocess",
    "tempfile",
    "textwrap",
    "threading",
    "token",
    "tokenize",
    "traceback",
    "types",
    "typing",
    "warnings",
    "weakref",
    "zlib",
    "_posixshmem",
]
for _name in PRELOAD:
    with contextlib.suppress(ImportError):
        __import__(_name)

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
STDIO_FDS = 4  # stdout, stderr, control pipe, result pipe
CTL_FD, RESULT_FD = 3, 4
MAX_REQUEST = 1 << 20


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _die_with_parent(parent: int) -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _stdio(fds: list[int]) -> None:
    """The run's pipes at the harness's fixed numbers, stdin from /dev/null, nothing else open."""
    stdout, stderr, ctl, result = fds
    null = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((null, 0), (stdout, 1), (stderr, 2), (ctl, CTL_FD), (result, RESULT_FD)):
        os.dup2(source, target)
    os.closerange(RESULT_FD + 1, 65536)


def _boot(request: dict) -> None:
    """In process 1, as the run's user: the environment and path of a fresh interpreter,
    the instrumentation, then the harness."""
    os.environ.clear()
    os.environ.update(request["env"])
    boot = request["boot"]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [boot, *(path for path in sys.path if path != here)]
    sys.path_importer_cache.clear()  # no directory listing of the launcher's filesystem is kept
    for name in list(sys.modules):  # imported again from where the run sees them
        if name.startswith("_mpgrade") or name == "sitecustomize":
            del sys.modules[name]
    sys.argv[:] = [request["harness"], str(CTL_FD), str(RESULT_FD)]
    import runpy

    import sitecustomize  # noqa: F401 - the run's instrumentation, from its MPGRADE_SANDBOX

    runpy.run_path(request["harness"], run_name="__main__")
    os._exit(0)


def _child(request: dict, fds: list[int], zygote: int) -> None:
    """The run's outer process: never returns."""
    try:
        os.setsid()
        _die_with_parent(zygote)
        _stdio(fds)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        spec = request["spec"]
        in_pid_namespace = jail._enter(spec)
        if in_pid_namespace and os.fork():
            jail._wait_and_mirror()
        jail._become(spec)
        if in_pid_namespace:  # process 1 dies with the outer process (its parent, not visible from here)
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _prctl(PR_SET_DUMPABLE, 1)  # as after an exec: the grader reads this process's /proc
        if not spec.get("view"):
            os.chdir(request["cwd"])
    except OSError as error:
        with contextlib.suppress(OSError):
            os.write(2, f"mpgrade jail: {error}\n".encode())
        os._exit(125)
    except BaseException:  # noqa: BLE001 - whatever happens, this process must not return
        os._exit(125)
    try:
        _boot(request)
    except BaseException:  # noqa: BLE001
        with contextlib.suppress(Exception):
            traceback.print_exc()
        os._exit(1)


def _reply(sock: socket.socket, **fields: object) -> None:
    with contextlib.suppress(OSError):
        sock.send(json.dumps(fields).encode())


def _serve_one(sock: socket.socket) -> bool:
    try:
        data, fds, _, _ = socket.recv_fds(sock, MAX_REQUEST, STDIO_FDS)
    except OSError:
        return False
    if not data:
        return False
    try:
        request = json.loads(data)
        if len(fds) != STDIO_FDS:
            raise ValueError(f"{len(fds)} descriptors, not {STDIO_FDS}")
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(request, fds, os.getppid())
        _reply(sock, id=request.get("id"), pid=pid)
    except Exception as error:  # noqa: BLE001 - a bad request is answered, the launcher lives on
        _reply(sock, id=request.get("id") if isinstance(request, dict) else None, error=repr(error))
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    return True


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reply(sock, exit=pid, status=status)


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is sock and not _serve_one(sock):
                return
            if key.fileobj == wake_read:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
        _reap(sock)


if __name__ == "__main__":
    main()
