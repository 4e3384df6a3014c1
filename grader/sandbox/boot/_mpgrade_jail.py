"""The jail: applies a sandbox's limits to itself, then becomes the harness.

Standard library only. Started as ``python -I _mpgrade_jail.py SPEC_JSON -- COMMAND...``
by the grader. In this order it joins the run's cgroups, enters new namespaces (PID,
network and mount; a user namespace when not root), builds the run's private
filesystem view (below) or else mounts a private ``/dev/shm``, and with a PID namespace
forks: the child is process 1 of the namespace, and this process waits for it and exits
with its status, so that nothing in the sandbox can see or signal a process outside it.
The child (or, without a PID namespace, this process) enters the view, sets resource
limits, drops to an unprivileged user and executes COMMAND.

The view is a new root on a small tmpfs holding only what a run needs: the system's
read-only ``/usr`` (interpreter, standard library and shared libraries; site-packages
hidden), the interpreter's own prefix, a few files of ``/etc``, a minimal ``/dev``, a
fresh ``/proc`` of the PID namespace, the grader's boot files read-only, the
submission's copy and the grader's marks of the processes it has seen read-only,
and one size-capped tmpfs (the run's disk) that holds the run's work directory, its
evidence directories and ``/tmp`` and ``/var/tmp``. Nothing else of the machine is
there: no course repository, no other run, no home directory.
Everything the run writes vanishes with its mount namespace.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare: {os.strerror(error)}")


MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_RELATIME = 0x200000
ST_RELATIME = 0x1000
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
ETC_FILES = ("passwd", "group", "hosts", "nsswitch.conf", "localtime", "ld.so.cache")


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


def _kept_flags(path: str) -> int:
    """Flags of the mount under ``path`` that a read-only remount must keep (a user
    namespace may not clear them)."""
    flags = os.statvfs(path).f_flag
    kept = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    return kept | (MS_RELATIME if flags & ST_RELATIME else 0)


def _inside(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _bind(source: str, root: str, writable: bool = False, at: str | None = None) -> None:
    """Mount ``source`` at the same path (or at ``at``) inside ``root``, read-only unless
    ``writable``, recreating a symbolic link as a link."""
    target = _inside(root, at or source)
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(source), target)
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    _mount(source, target, None, MS_BIND | MS_REC, None)
    if not writable:
        _mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _kept_flags(target), None)


def _tmpfs(target: str, size_mb: float, mode: str) -> None:
    os.makedirs(target, exist_ok=True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size={max(1, int(size_mb * 1024))}k")


def _build_view(view: dict, uid: int, gid: int) -> None:
    """Everything of the view that needs no PID namespace: see the module's docstring."""
    import site

    root = view["root"]
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    _tmpfs(root, 8, "0755")
    interpreter = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for path in [*SYSTEM_DIRS, *sorted(interpreter)]:
        if os.path.lexists(path) and not os.path.lexists(_inside(root, path)):
            _bind(path, root)
    source, at = view["boot"]
    _bind(source, root, at=at)
    for name in ETC_FILES:
        if os.path.lexists(f"/etc/{name}"):
            _bind(f"/etc/{name}", root)
    hidden = [*site.getsitepackages(), site.getusersitepackages()]
    for path in hidden:  # site-packages: only the standard library is on offer
        if os.path.isdir(_inside(root, path)):
            _tmpfs(_inside(root, path), 0.004, "0555")
    dev = _inside(root, "/dev")
    _tmpfs(dev, 0.1, "0755")
    for name in DEVICES:
        _bind(f"/dev/{name}", root, writable=True)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, os.path.join(dev, name))
    _tmpfs(os.path.join(dev, "shm"), view["shm_mb"], "1777")
    disk = _inside(root, view["disk"])
    _tmpfs(disk, view["disk_mb"], "0755")
    for name in view["owned"]:
        os.makedirs(os.path.join(disk, name))
        os.chown(os.path.join(disk, name), uid, gid)
    for name, place in (("tmp", "/tmp"), ("var_tmp", "/var/tmp")):
        os.makedirs(os.path.join(disk, name), mode=0o1777)
        os.chmod(os.path.join(disk, name), 0o1777)
        os.makedirs(_inside(root, place), exist_ok=True)
        _mount(os.path.join(disk, name), _inside(root, place), None, MS_BIND, None)
    for name in ("submission", "seen"):
        source, at = view[name]
        _bind(source, root, at=at)
    os.makedirs(_inside(root, "/proc"), exist_ok=True)


def _enter_view(view: dict) -> None:
    """In process 1 of the PID namespace: its own /proc, the root made read-only, chroot."""
    root = view["root"]
    _mount("proc", _inside(root, "/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    _mount("none", root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    os.chroot(root)
    os.chdir(view["cwd"])


def _map_user(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{gid} {gid} 1")


def _enter(spec: dict) -> bool:
    """Cgroups, namespaces and the view (or a private /dev/shm); returns whether a PID
    namespace was entered (the caller then forks process 1)."""
    for path in spec.get("cgroup_procs", []):
        with open(path, "w") as handle:
            handle.write(str(os.getpid()))
    view = spec.get("view")
    flags = 0
    if spec.get("netns"):
        flags |= CLONE_NEWNET
    if spec.get("pidns"):
        flags |= CLONE_NEWPID
    if spec.get("shm_mb") or view:
        flags |= CLONE_NEWNS
    if flags and spec.get("userns"):
        uid, gid = os.getuid(), os.getgid()
        _unshare(flags | CLONE_NEWUSER)
        _map_user(uid, gid)
    elif flags:
        _unshare(flags)
    if view:
        _build_view(view, int(spec.get("uid", os.getuid())), int(spec.get("gid", os.getgid())))
    elif spec.get("shm_mb"):
        _private_shm(int(spec["shm_mb"]))
    return bool(flags & CLONE_NEWPID)


def _become(spec: dict) -> None:
    """The view, the limits and the user of the process that runs the command, at the
    ordinary priority (the grader observes from a higher one; see ``grader.checks.plugin``)."""
    os.setpriority(os.PRIO_PROCESS, 0, 0)
    if spec.get("view"):
        _enter_view(spec["view"])
    for name, value in spec.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if spec.get("uid") is not None:
        os.setgroups([])
        os.setgid(int(spec["gid"]))
        os.setuid(int(spec["uid"]))


def _die_with_parent() -> None:
    """SIGKILL this process when its parent dies (a grader killed with SIGKILL leaves no run)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def main() -> None:
    spec = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1 :]
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the grader died before the signal was armed
        os._exit(125)
    try:
        in_pid_namespace = _enter(spec)
        if in_pid_namespace and os.fork():
            _wait_and_mirror()
        _become(spec)
        if in_pid_namespace:
            _die_with_parent()  # process 1 dies with the jail outside (armed after the user change, which clears it)
    except OSError as error:
        sys.stderr.write(f"mpgrade jail: {error}\n")
        os._exit(125)
    os.execv(command[0], command)


def _wait_and_mirror() -> None:
    """Close the sandbox's pipes here, wait for process 1, and end the way it ended."""
    os.closerange(3, 65536)
    _, status = os.wait()
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
