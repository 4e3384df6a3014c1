"""The sandbox's layers: which are available here, and the limits they enforce.

Probed once per grading, each layer used where it works, and reported in the JSON
report's ``environment.isolation``:

- everywhere: a new session, a wall-clock timeout, rlimits (CPU, file size, open files,
  core; address space when no cgroup caps memory), a scrubbed environment, a fresh
  work dir, capped output, and the grader as subreaper for the tree kill;
- Linux, any user: new PID, network and mount namespaces (a user namespace too when
  not root): the submission cannot see or signal the grader, nor reach the network,
  and gets a ``/dev/shm`` of its own that vanishes with it;
- root: a cgroup per run (process and memory caps, a sure kill) and the submission
  running as ``nobody``, so it cannot change the grader's files;
- with PID and mount namespaces: a private filesystem view per run (its own files, the
  interpreter and the standard library, a size-capped tmpfs for all it writes), so that
  a run sees nothing of the machine, of the course or of another run, and leaves nothing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.sandbox import cgroups

if TYPE_CHECKING:
    from grader.sandbox.scratch import Scratch

JAIL = Path(__file__).resolve().parent / "boot" / "_mpgrade_jail.py"
NOBODY = "nobody"


@dataclass(frozen=True)
class Limits:
    """Defaults a real course can live with; see ``[tool.mpgrade]`` and the CLI flags."""

    max_processes: int = 256
    max_memory_mb: int = 2048
    cpu_seconds: int = 120
    max_file_mb: int = 64
    max_open_files: int = 256
    max_disk_mb: int = 512  # all a run writes (its private tmpfs; counted as memory too)


@dataclass(frozen=True)
class Layers:
    session: bool = True
    rlimits: bool = True
    subreaper: bool = False
    pidns: bool = False
    netns: bool = False
    userns: bool = False
    private_shm: bool = False
    private_fs: bool = False  # the run sees only its own files (a view built in its mount namespace)
    cgroup: str | None = None
    uid: str | None = None
    python: str = sys.executable  # the interpreter the sandbox runs
    off: dict[str, str] = field(default_factory=dict)  # layer -> why it is not in force

    def report(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("python")
        return data


@dataclass(frozen=True)
class Isolation:
    limits: Limits
    layers: Layers

    def to_json(self) -> str:
        return json.dumps({"limits": asdict(self.limits), "layers": asdict(self.layers)})

    @staticmethod
    def from_json(text: str) -> Isolation:
        data = json.loads(text)
        return Isolation(Limits(**data["limits"]), Layers(**data["layers"]))


def rlimits(limits: Limits, memory_by_cgroup: bool) -> dict[str, int]:
    values = {
        "RLIMIT_CPU": limits.cpu_seconds,
        "RLIMIT_FSIZE": limits.max_file_mb << 20,
        "RLIMIT_NOFILE": limits.max_open_files,
        "RLIMIT_CORE": 0,
    }
    if not memory_by_cgroup:
        values["RLIMIT_AS"] = limits.max_memory_mb << 20
    return values


def _jail_works(spec: dict[str, Any], python: str, user: int | None = None) -> tuple[bool, str]:
    jail = boot_copy() / JAIL.name
    command = [python, "-I", str(jail), json.dumps(spec), "--", python, "-I", "-c", "import multiprocessing"]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return False, str(error)
    return done.returncode == 0, (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]


def _python_for_nobody() -> tuple[str | None, str]:
    import pwd

    try:
        uid = pwd.getpwnam(NOBODY).pw_uid
    except KeyError:
        return None, "no user named nobody"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [sys.executable, f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for python in candidates:
        if not os.access(python, os.X_OK):
            continue
        works, _ = _jail_works({}, python, user=uid)
        if works:
            return python, ""
    return None, f"no Python {sys.version_info[0]}.{sys.version_info[1]} interpreter that nobody may run"


@functools.cache
def probe(root_layers: bool = True, limits: Limits = Limits()) -> Layers:
    """Find out which layers work here (each probe starts a short-lived process)."""
    from grader.sandbox import subreaper

    off: dict[str, str] = {}
    is_root = os.geteuid() == 0
    namespaces = {"pidns": True, "netns": True, "userns": not is_root, "shm_mb": 16}
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two probes that do not depend on each other, at once
        nobody = pool.submit(_python_for_nobody) if root_layers and is_root else None
        works, why = _jail_works(namespaces, sys.executable) if sys.platform == "linux" else (False, "not Linux")
        found_nobody = nobody.result() if nobody is not None else None
    if not works:
        off["namespaces"] = why
    cgroup = None
    if not root_layers:
        off["cgroup"] = off["uid"] = "root-only layers switched off"
    elif not is_root:
        off["cgroup"] = off["uid"] = "needs root"
    else:
        for version, available in (("v2", cgroups.v2_available()), ("v1", cgroups.v1_available())):
            if available:
                try:
                    cgroups.create(version, limits.max_processes, limits.max_memory_mb << 20).remove()
                    cgroup = version
                    break
                except OSError as error:
                    off["cgroup"] = f"cgroup {version}: {error.strerror}"
        else:
            off.setdefault("cgroup", "no writable pids and memory controllers")
    python, uid = sys.executable, None
    if found_nobody is not None:
        found, why = found_nobody
        if found:
            python, uid = found, NOBODY
        else:
            off["uid"] = why
    private_fs = False
    if works:
        private_fs, why = _view_works(python, uid, limits)
        if not private_fs:
            off["private_fs"] = why
    else:
        off["private_fs"] = "needs PID and mount namespaces"
    return Layers(
        session=True,
        rlimits=hasattr(resource, "setrlimit"),
        subreaper=subreaper.become_subreaper(),
        pidns=works,
        netns=works,
        userns=works and not is_root,
        private_shm=works,
        private_fs=private_fs,
        cgroup=cgroup,
        uid=uid,
        python=python,
        off=off,
    )


def _view_works(python: str, user: str | None, limits: Limits) -> tuple[bool, str]:
    """Can a run's private filesystem view be built here? Tried once, in a throw-away scratch."""
    import tempfile

    from grader.sandbox.scratch import Scratch

    scratch = Path(tempfile.mkdtemp(prefix="mpgrade-probe-"))
    try:
        layout = Scratch(scratch, private=True)
        layout.create(user)
        spec: dict[str, Any] = {"pidns": True, "netns": True, "userns": os.geteuid() != 0}
        spec["view"] = layout.view(Limits(max_disk_mb=1, max_memory_mb=16))
        if user is not None:
            import pwd

            entry = pwd.getpwnam(user)
            spec.update(uid=entry.pw_uid, gid=entry.pw_gid)
        command = [python, "-I", str(boot_copy() / JAIL.name), json.dumps(spec), "--", python, "-I", "-c", VIEW_PROBE]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False, cwd=layout.work)
        except (OSError, subprocess.SubprocessError) as error:
            return False, str(error)
        if done.returncode != 0:
            return False, (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return True, ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# What a run must see in its view (a writable /tmp, semaphores) and what it must not (the
# grader's own files, home directories): run by the probe above.
VIEW_PROBE = (
    "import multiprocessing, os, tempfile; "
    f"assert not os.path.exists({str(Path(__file__).resolve())!r}), 'the grader is visible'; "
    "assert not os.path.exists('/home'), 'home directories are visible'; "
    "open(os.path.join(tempfile.gettempdir(), 'probe'), 'w').write('x'); "
    "multiprocessing.Lock()"
)


@functools.cache
def boot_copy() -> Path:
    """A world-readable copy of ``boot/`` that an unprivileged sandbox user can import."""
    import atexit
    import py_compile
    import tempfile

    target = Path(tempfile.mkdtemp(prefix=f"mpgrade-boot-{os.getpid()}-"))
    for source in JAIL.parent.glob("*.py"):
        shutil.copy(source, target / source.name)
        (target / source.name).chmod(0o644)
        # Compiled once here: a sandbox interpreter (which writes no bytecode) then loads
        # the instrumentation in a fraction of the time compiling it anew would take.
        with contextlib.suppress(py_compile.PyCompileError, OSError):
            py_compile.compile(str(target / source.name), doraise=True)
    for path in [target, *target.glob("__pycache__"), *target.glob("__pycache__/*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    atexit.register(shutil.rmtree, target, True)
    return target


@dataclass(frozen=True)
class Plan:
    """How one run is started: the jail in front of the interpreter, and its cgroup."""

    prefix: tuple[str, ...]
    python: str
    pidns: bool
    cgroup: cgroups.Cgroup | None
    spec: dict[str, Any] = field(default_factory=dict)  # what the jail applies (see ``boot/_mpgrade_jail.py``)


def plan(isolation: Isolation, scratch: Scratch) -> Plan:
    """Create the run's cgroup (if any) and the jail command that applies every layer."""
    layers, limits = isolation.layers, isolation.limits
    group = None
    memory = (limits.max_memory_mb + (limits.max_disk_mb if layers.private_fs else 0)) << 20  # a tmpfs is memory
    if layers.cgroup:
        try:
            group = cgroups.create(layers.cgroup, limits.max_processes, memory)
        except OSError:
            group = None
    spec: dict[str, Any] = {
        "pidns": layers.pidns,
        "netns": layers.netns,
        "userns": layers.userns,
        "shm_mb": limits.max_memory_mb if layers.private_shm else 0,
        "rlimits": rlimits(limits, memory_by_cgroup=group is not None),
        "cgroup_procs": list(group.procs_files) if group else [],
    }
    if layers.private_fs:
        spec["view"] = scratch.view(limits)
    if not layers.userns and not group and layers.pidns:
        spec["rlimits"]["RLIMIT_NPROC"] = limits.max_processes
    if layers.uid:
        import pwd

        entry = pwd.getpwnam(layers.uid)
        spec.update(uid=entry.pw_uid, gid=entry.pw_gid)
        if group is None:
            spec["rlimits"]["RLIMIT_NPROC"] = limits.max_processes
    prefix = (layers.python, "-I", str(boot_copy() / JAIL.name), json.dumps(spec), "--")
    return Plan(prefix=prefix, python=layers.python, pidns=layers.pidns, cgroup=group, spec=spec)
