"""Instrumentation installed at the start of every interpreter inside a sandbox.

Standard library only. Configured by the JSON in ``MPGRADE_SANDBOX``, inherited by every
process of the sandbox (fork children inherit the patches, spawn and forkserver
children re-run this file). Each piece is idempotent and optional:

- ``start_method``: the default start method of this interpreter (a student's own
  ``set_start_method`` still wins);
- ``stacks_dir``: SIGUSR1 makes the process dump the stack of every thread into
  ``<stacks_dir>/<pid>.txt``, so the grader can explain a hang before killing it;
- ``sleep``: ``time.sleep(magic)`` first waits until ``k`` distinct processes made such
  a call (a rendezvous that proves k workers ran at once, with a shared timeout), then
  sleeps ``magic * factors[n]`` where ``n`` is the caller's argument of that name, and
  notes which process slept for which ``n``;
- ``amplify``: short pauses inside shared-state reads (``Value.value``, the raw
  ``get_obj()`` and ``RawValue`` values, every read of a Manager dict: ``get``,
  ``[]``, ``copy``, ``items``, ``keys``, ``values``, ``in``; Manager list appends) that
  widen race windows so a racy read-modify-write loses updates on every run;
- ``child_pause``: every child process waits this long when it starts, so that even a
  worker with almost nothing to do lives long enough for the outside observer to see
  it, and lifetimes show whether processes ran side by side; with ``seen_dir``, it then
  waits on until the grader has marked it seen there (``<seen_dir>/<pid>``, at most
  ``SEEN_WAIT_S``), so that a grader slowed down by a busy machine still sees it; SIGTERM
  is held meanwhile (a pool terminated at once ends its workers only once they were seen);
- ``barrier``: the submission's own processes wait at their start until ``k`` of them
  have started, so that a race check's processes overlap however slowly they start
  (spawn); a manager's server and pool workers neither wait nor count;
- ``api``: record which taught APIs the submission's own code called (``_mpgrade_api``);
- ``watch``: record which process ran each call of the named worker functions
  (``_mpgrade_watch``).
"""

from __future__ import annotations

import json
import os
import sys
import time

_CONFIG_VAR = "MPGRADE_SANDBOX"
_ROOT_VAR = "MPGRADE_ROOT_PID"
_real_sleep = time.sleep
_real_clock = time.monotonic  # the submission's code may patch either; the pause must not end early or never
_real_exists = os.path.exists
SEEN_WAIT_S = 1.0  # the longest a child waits beyond its pause for the grader to see it
SEEN_POLL_S = 0.005
helper_fork = False  # set while the harness forks a start method's helper (``_mpgrade_helpers``)
_forked_helper = False  # this process is such a helper, or was forked by one
_stack_dumps = None  # re-registers this process's stack dump file (a forked helper closes its files)


def _install_start_method(method: str) -> None:
    import multiprocessing.context as context

    concrete = context._concrete_contexts.get(method)  # type: ignore[attr-defined]
    if concrete is not None:
        context._default_context._default_context = concrete  # type: ignore[attr-defined]


def _install_stack_dumps(stacks_dir: str) -> None:
    import faulthandler
    import signal

    def register() -> None:
        handle = open(os.path.join(stacks_dir, f"{os.getpid()}.txt"), "w")  # noqa: SIM115
        faulthandler.register(signal.SIGUSR1, file=handle, all_threads=True)

    global _stack_dumps
    _stack_dumps = register
    register()
    os.register_at_fork(after_in_child=register)


def _rendezvous(directory: str, k: int, timeout: float) -> None:
    path = os.path.join(directory, f"pid-{os.getpid()}")
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    if k < 2:
        return
    broken = os.path.join(directory, "broken")
    deadline = time.monotonic() + timeout
    while not os.path.exists(broken):
        arrived = sum(1 for name in os.listdir(directory) if name.startswith("pid-"))
        if arrived >= k:
            return
        if time.monotonic() > deadline:
            os.close(os.open(broken, os.O_CREAT | os.O_WRONLY, 0o644))
            return
        _real_sleep(0.002)


def _install_sleep(spec: dict) -> None:
    magic = float(spec["magic"])
    factors = {str(key): float(value) for key, value in spec.get("factors", {}).items()}

    def sleep(seconds: float) -> None:
        if isinstance(seconds, (int, float)) and abs(seconds - magic) < 1e-9:
            _rendezvous(spec["dir"], int(spec.get("k", 0)), float(spec["timeout"]))
            caller = sys._getframe(1).f_locals.get("n")
            if type(caller) is int:  # who slept for which task (inside evidence, cross-checked)
                os.close(os.open(os.path.join(spec["dir"], f"task_{caller}_{os.getpid()}"), os.O_CREAT, 0o644))
            _real_sleep(seconds * factors.get(str(caller), 1.0))
        else:
            _real_sleep(seconds)

    time.sleep = sleep


def _pause_after(method, pause: float):  # type: ignore[no-untyped-def]
    def wrapped(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = method(self, *args, **kwargs)
        _real_sleep(pause)
        return result

    return wrapped


class _PausedValue:
    """A raw shared ctypes value whose reads pause: ``get_obj()`` of a ``Value`` and
    ``RawValue()`` hand this out, so that a read-modify-write through them races as
    visibly as one through ``Value.value``. Everything else goes to the real object."""

    __slots__ = ("_mpgrade_obj", "_mpgrade_pause")

    def __init__(self, obj, pause: float) -> None:  # type: ignore[no-untyped-def]
        object.__setattr__(self, "_mpgrade_obj", obj)
        object.__setattr__(self, "_mpgrade_pause", pause)

    @property
    def value(self):  # type: ignore[no-untyped-def]
        result = self._mpgrade_obj.value
        _real_sleep(self._mpgrade_pause)
        return result

    @value.setter
    def value(self, new) -> None:  # type: ignore[no-untyped-def]
        self._mpgrade_obj.value = new

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._mpgrade_obj, name)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_PausedValue, (self._mpgrade_obj, self._mpgrade_pause))


DICT_READS = ("get", "__getitem__", "__contains__")  # one key: called often, a short pause
DICT_BULK_READS = ("copy", "items", "keys", "values")  # the whole dict: called rarely, a long pause


def _install_amplifiers(spec: dict) -> None:
    if spec.get("value_pause"):
        import multiprocessing.context as context
        from multiprocessing import sharedctypes

        pause = float(spec["value_pause"])
        original = sharedctypes.Synchronized.value
        sharedctypes.Synchronized.value = property(_pause_after(original.fget, pause), original.fset)  # type: ignore[method-assign]
        get_obj = sharedctypes.SynchronizedBase.get_obj
        sharedctypes.Synchronized.get_obj = lambda self: _PausedValue(get_obj(self), pause)  # type: ignore[method-assign]
        raw_value = context.BaseContext.RawValue
        context.BaseContext.RawValue = lambda self, *a, **k: _PausedValue(raw_value(self, *a, **k), pause)  # type: ignore[method-assign]
    if spec.get("dict_pause") or spec.get("list_pause"):
        from multiprocessing import managers

        if spec.get("dict_pause"):
            pauses = {name: float(spec["dict_pause"]) for name in DICT_READS}
            bulk = float(spec.get("dict_bulk_pause", spec["dict_pause"]))
            pauses.update({name: bulk for name in DICT_BULK_READS})
            for name, pause in pauses.items():
                setattr(managers.DictProxy, name, _pause_after(getattr(managers.DictProxy, name), pause))
        if spec.get("list_pause"):
            managers.ListProxy.append = _pause_after(  # type: ignore[method-assign]
                managers.ListProxy.append, float(spec["list_pause"])
            )


def _is_root() -> bool:
    """The sandbox's first interpreter (the harness); every other one is a child."""
    root = os.environ.setdefault(_ROOT_VAR, str(os.getpid()))
    return root == str(os.getpid())


def _is_helper() -> bool:
    """The interpreter was started as (or forked from) multiprocessing's resource tracker or
    fork server."""
    return _forked_helper or _is_tracker() or "multiprocessing.forkserver" in _command()


def _command() -> str:
    return " ".join(getattr(sys, "orig_argv", []))


def _is_tracker() -> bool:
    return "multiprocessing.resource_tracker" in _command()


def _on_child_start(action) -> None:  # type: ignore[no-untyped-def]
    """Run ``action`` first thing in every child: spawned ones now, forked ones after each fork.

    The start method's helpers (the fork server, the resource tracker) are no such child: a
    fork server that paused would delay every worker it forks, which pause themselves."""
    if not _is_root() and not _is_helper():
        action()
    os.register_at_fork(after_in_child=action)


def became_helper() -> None:
    """Called in a helper the harness forked (``_mpgrade_helpers``): from now on this process
    counts as a helper, and what it forks pauses as every child does."""
    global helper_fork, _forked_helper
    helper_fork, _forked_helper = False, True


def reopen_stack_dumps() -> None:
    if _stack_dumps is not None:
        _stack_dumps()


def _install_child_pause(pause: float, seen_dir: str | None) -> None:
    import _signal

    def wait() -> None:
        if helper_fork:
            return
        # SIGTERM waits too: a pool terminated as soon as its tasks are done (``with Pool()``)
        # must not end a worker before the grader has seen it; it ends right after.
        held = _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGTERM})
        try:
            _real_sleep(pause)
            if seen_dir:
                _until_seen(os.path.join(seen_dir, str(os.getpid())))
        finally:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, held)

    _on_child_start(wait)


def _until_seen(mark: str) -> None:
    deadline = _real_clock() + SEEN_WAIT_S
    while not _real_exists(mark) and _real_clock() < deadline:
        _real_sleep(SEEN_POLL_S)


def _install_barrier(spec: dict) -> None:
    """The submission's own processes wait as they start until ``k`` of them have started.

    A process counts when it runs the submission's code: a ``Process`` subclass that
    overrides ``run()``, or a target from outside multiprocessing and concurrent.futures
    (a manager's server or a pool's workers do not wait, nor count)."""
    import multiprocessing.process as process

    original = process.BaseProcess._bootstrap

    def bootstrap(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        target = getattr(self, "_target", None)
        if type(self).run is not process.BaseProcess.run:
            owner = type(self).__module__
        else:
            owner = getattr(target, "__module__", None) or "multiprocessing"
        if not owner.startswith(("multiprocessing", "concurrent")) and not _is_helper():
            _rendezvous(spec["dir"], int(spec["k"]), float(spec["timeout"]))
        return original(self, *args, **kwargs)

    process.BaseProcess._bootstrap = bootstrap  # type: ignore[method-assign]


def _install() -> None:
    raw = os.environ.get(_CONFIG_VAR)
    if not raw or getattr(time, "_mpgrade_installed", False):
        return
    config = json.loads(raw)
    if _is_tracker():  # multiprocessing's own bookkeeping: it runs no code of the submission
        config = {"stacks_dir": config.get("stacks_dir")}
    if config.get("start_method"):
        _install_start_method(config["start_method"])
    if config.get("stacks_dir"):
        _install_stack_dumps(config["stacks_dir"])
    if config.get("sleep"):
        _install_sleep(config["sleep"])
    if config.get("amplify"):
        _install_amplifiers(config["amplify"])
    if config.get("child_pause"):
        _install_child_pause(float(config["child_pause"]), config.get("seen_dir"))
    if config.get("barrier"):
        _install_barrier(config["barrier"])
    if config.get("api"):
        import _mpgrade_api

        _mpgrade_api.install(config["api"])
    if config.get("watch"):
        import _mpgrade_watch

        _mpgrade_watch.install(config["watch"])
    time._mpgrade_installed = True  # type: ignore[attr-defined]


try:
    _install()
except Exception as error:  # noqa: BLE001 - never break the interpreter it runs in
    sys.stderr.write(f"mpgrade instrumentation failed: {error!r}\n")
