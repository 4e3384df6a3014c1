"""Which taught APIs the submission's own code called: a record per call, per process.

Standard library only; installed by ``sitecustomize`` at interpreter start when the
sandbox's configuration asks for it. Each patched function (``Process.start``,
``Executor.submit``/``map``, the ``Pool`` mapping methods, ``Queue``, ``Pipe``,
``Array``, manager start-up) first finds who called it: walking up the stack past the
standard library and the grader's own boot files, the first other frame must lie in the
submission's directory, else nothing is recorded (library internals call each other:
``Executor.map`` calls ``submit``, pools start ``Process`` objects). The event names the
API, the *entry*, the library function the submission called directly (``Pool.map``
itself, or ``multiprocessing/context.py:Pool`` when a pool started a process), and the
student's file and line. Events are appended as JSON lines to ``<dir>/<pid>.jsonl``.

This is evidence from inside the sandbox, which the submission could forge: the grader
says so in the check's data, and uses it only for what it is, the pattern that was used.
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig

import _mpgrade_wire

MAX_EVENTS = 500  # per process: enough to see the pattern, bounded against a loop of calls

_LIBRARY = tuple(
    os.path.realpath(path) + os.sep
    for path in {sysconfig.get_paths()["stdlib"], os.path.dirname(os.path.abspath(__file__))}
)
_state: dict = {"written": 0, "dir": "", "submission": ""}
_wrapper_codes: set = set()


def _library(filename: str) -> bool:
    return os.path.realpath(filename).startswith(_LIBRARY)


def _label(frame) -> str:  # type: ignore[no-untyped-def]
    """A frame's function as ``multiprocessing/context.py:Pool``, or a wrapper's API name."""
    if frame.f_code in _wrapper_codes:
        return str(frame.f_locals.get("api_name", "?"))
    path = os.path.realpath(frame.f_code.co_filename)
    for root in _LIBRARY:
        if path.startswith(root):
            path = path[len(root) :]
            break
    return f"{path}:{frame.f_code.co_name}"


def _caller():  # type: ignore[no-untyped-def]
    """(entry, file, line) when the submission's code made this call, else None.

    Walks out from here past every library frame (this module and the wrapper
    included); the outermost of them is the entry the submission called.
    """
    frame = sys._getframe(1)
    entry = "?"
    while frame is not None and _library(frame.f_code.co_filename):
        entry = _label(frame)
        frame = frame.f_back
    if frame is None:
        return None
    path = os.path.realpath(frame.f_code.co_filename)
    if not path.startswith(_state["submission"] + os.sep):
        return None
    return entry, os.path.relpath(path, _state["submission"]), frame.f_lineno


def _record(api: str, detail: str) -> None:
    if _state["written"] >= MAX_EVENTS:
        return
    found = _caller()
    if found is None:
        return
    entry, filename, line = found
    event = {"api": api, "entry": entry, "detail": detail, "file": filename, "line": line, "pid": os.getpid()}
    _state["written"] += 1
    _mpgrade_wire.append_record(_state["dir"], event)


def _patch(owner, name: str, api: str, detail=None) -> None:  # type: ignore[no-untyped-def]
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        api_name = api if not callable(api) else api(args)  # read back by _label from this frame
        _record(api_name, detail(args, kwargs) if detail else "")
        return original(*args, **kwargs)

    _wrapper_codes.add(wrapper.__code__)
    setattr(owner, name, wrapper)


def _class_of_self(args) -> str:  # type: ignore[no-untyped-def]
    return type(args[0]).__name__ if args else "?"


def _patches() -> dict:
    """Module name -> the patches to apply once it is imported: (class or None, name, api, detail)."""
    pool_methods = ("map", "starmap", "imap", "imap_unordered", "map_async", "starmap_async", "apply", "apply_async")
    return {
        "multiprocessing.process": [("BaseProcess", "start", "Process.start", lambda a, k: _class_of_self(a))],
        "concurrent.futures.process": [
            ("ProcessPoolExecutor", "submit", "ProcessPoolExecutor.submit", None),
            ("ProcessPoolExecutor", "map", "ProcessPoolExecutor.map", None),
        ],
        "concurrent.futures.thread": [("ThreadPoolExecutor", "submit", "ThreadPoolExecutor.submit", None)],
        "multiprocessing.pool": [("Pool", name, f"Pool.{name}", None) for name in pool_methods],
        "multiprocessing.queues": [
            ("Queue", "__init__", _class_of_self, None),
            ("SimpleQueue", "__init__", "SimpleQueue", None),
        ],
        "multiprocessing.connection": [
            (None, "Pipe", "Pipe", lambda a, k: f"duplex={k.get('duplex', a[0] if a else True)}")
        ],
        "multiprocessing.sharedctypes": [(None, "Array", "Array", None), (None, "RawArray", "RawArray", None)],
        "multiprocessing.managers": [("BaseManager", "start", "BaseManager.start", lambda a, k: _class_of_self(a))],
    }


def _apply(module, patches: list) -> None:  # type: ignore[no-untyped-def]
    for owner_name, name, api, detail in patches:
        _patch(getattr(module, owner_name) if owner_name else module, name, api, detail)


def installed() -> bool:
    return bool(_state["dir"])


def install(spec: dict) -> None:
    """Patch the taught APIs as their modules load (fork children inherit the patches)."""
    import _mpgrade_hooks

    _state.update(dir=spec["dir"], submission=os.path.realpath(spec["submission"]))
    os.register_at_fork(after_in_child=lambda: _state.update(written=0))
    for name, patches in _patches().items():
        _mpgrade_hooks.after_import(name, functools.partial(_apply, patches=patches))
