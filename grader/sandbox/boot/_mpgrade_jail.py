"""The jail: applies a sandbox's limits to itself, then becomes the harness.

Standard library only. Started as ``python -I _mpgrade_jail.py SPEC_JSON -- COMMAND...``
by the grader. In this order it joins the run's cgroups, enters new namespaces (PID and
network; a user namespace when not root), mounts a private ``/dev/shm``, sets
resource limits, drops to an unprivileged user, and executes COMMAND. With a PID namespace it forks first: the child
is process 1 of the namespace and runs COMMAND, and this process waits for it and exits
with its status, so that nothing in the sandbox can see or signal a process outside it.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare: {os.strerror(error)}")


MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REC = 0x4000
MS_PRIVATE = 0x40000


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    arguments = [text.encode() if text is not None else None for text in (source, target, fstype, data)]
    if libc.mount(*arguments[:3], flags, arguments[3]) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


def _private_shm(size_mb: int) -> None:
    """A /dev/shm of the sandbox's own: what it leaves there vanishes with it."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size_mb}m")


def _map_user(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{gid} {gid} 1")


def _apply(spec: dict) -> bool:
    """Everything but the exec; returns whether a PID namespace was entered."""
    for path in spec.get("cgroup_procs", []):
        with open(path, "w") as handle:
            handle.write(str(os.getpid()))
    flags = 0
    if spec.get("netns"):
        flags |= CLONE_NEWNET
    if spec.get("pidns"):
        flags |= CLONE_NEWPID
    if spec.get("shm_mb"):
        flags |= CLONE_NEWNS
    if flags and spec.get("userns"):
        uid, gid = os.getuid(), os.getgid()
        _unshare(flags | CLONE_NEWUSER)
        _map_user(uid, gid)
    elif flags:
        _unshare(flags)
    if spec.get("shm_mb"):
        _private_shm(int(spec["shm_mb"]))
    for name, value in spec.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if spec.get("uid") is not None:
        os.setgroups([])
        os.setgid(int(spec["gid"]))
        os.setuid(int(spec["uid"]))
    return bool(flags & CLONE_NEWPID)


def main() -> None:
    spec = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1 :]
    try:
        in_pid_namespace = _apply(spec)
    except OSError as error:
        sys.stderr.write(f"mpgrade jail: {error}\n")
        os._exit(125)
    if in_pid_namespace:
        child = os.fork()
        if child:
            _wait_and_mirror(child)
    os.execv(command[0], command)


def _wait_and_mirror(child: int) -> None:
    """Close the sandbox's pipes here, wait for process 1, and end the way it ended."""
    os.closerange(3, 65536)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
