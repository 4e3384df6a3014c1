"""Which process ran which call of the student's worker functions (standard library only).

Installed by ``sitecustomize`` when the sandbox's configuration names functions to
watch: right after the submission's module is imported (in every process, whatever
the start method), each named function of it is replaced by a wrapper that appends
one JSON line per call to ``<dir>/<pid>.jsonl``: the function, the pid, its integer
arguments (``fill_squares(arr, 3, 7)`` gives ``[3, 7]``) and the CPU the call took in
its thread. The grader uses these records to say who did what; a pass must also agree
with what it observed from outside (per-process CPU, sleeps, lifetimes), since the
submission could write such records itself.
"""

from __future__ import annotations

import functools
import os
import time

import _mpgrade_wire

MAX_CALLS = 20_000  # per process
_thread_time = time.thread_time
_state = {"dir": "", "written": 0}


def _ints(args: tuple) -> list:
    return [a for a in args if type(a) is int][:4]


def _wrap(name: str, function):  # type: ignore[no-untyped-def]
    @functools.wraps(function)
    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = _thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _record({"fn": name, "pid": os.getpid(), "args": _ints(args), "cpu": _thread_time() - started})

    watched.__mpgrade_watched__ = True  # type: ignore[attr-defined]
    return watched


def _record(call: dict) -> None:
    if _state["written"] >= MAX_CALLS:
        return
    _state["written"] += 1
    _mpgrade_wire.append_record(_state["dir"], call)


def _install_into(module, names: list) -> None:  # type: ignore[no-untyped-def]
    for name in names:
        function = getattr(module, name, None)
        if callable(function) and not getattr(function, "__mpgrade_watched__", False):
            setattr(module, name, _wrap(name, function))


def install(spec: dict) -> None:
    import _mpgrade_hooks

    _state["dir"] = spec["dir"]
    os.register_at_fork(after_in_child=lambda: _state.update(written=0))
    _mpgrade_hooks.after_import(spec["module"], functools.partial(_install_into, names=list(spec["functions"])))
