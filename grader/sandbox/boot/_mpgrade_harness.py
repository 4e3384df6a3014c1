"""The harness: the first and only grader code that runs inside a sandbox.

Standard library and the wire protocol only. Started by the grader as
``python _mpgrade_harness.py CTL_FD RESULT_FD``. It reads one request from the control
pipe, imports the submission as its real module name from its own directory, put last
on ``sys.path`` (so children started with any start method find it again, and no file
of the submission hides a module of the standard library or of the grader), then makes the request's calls
(functions of the module, or drivers of ``_mpgrade_drivers``) one at a time, reporting
over the result pipe:

    ready, [helpers], then loaded | load_error, then per call: started, then returned | raised | unsendable

Under forkserver on Linux, a request with calls first gets the start method's helpers
started (``_mpgrade_helpers``), before the submission is imported, and names their pids.

After each call it waits for the grader's ``next`` (or ``exit``), so that the grader can
look at the process tree as it stood when the call returned; it leaves with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import sys
import traceback
from typing import Any

import _mpgrade_wire as wire


class Channel:
    """The two pipe ends the grader handed over; closed in forked children."""

    def __init__(self, ctl_fd: int, result_fd: int) -> None:
        self.ctl = os.fdopen(ctl_fd, "rb")
        self.result_fd = result_fd
        self.open = True
        os.register_at_fork(after_in_child=self.close)

    def close(self) -> None:
        """Once per process: in a child's children the numbers may belong to other files by then."""
        if not self.open:
            return
        self.open = False
        for action in (self.ctl.close, lambda: os.close(self.result_fd)):
            with contextlib.suppress(OSError):
                action()

    def send(self, kind: str, **fields: Any) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        data = wire.dump_message(kind, **fields)
        view = memoryview(data)
        while view:
            written = os.write(self.result_fd, view)
            view = view[written:]

    def receive(self) -> dict[str, Any]:
        line = self.ctl.readline(wire.MAX_LINE)
        if not line:
            return {"kind": wire.EXIT}
        return wire.load_message(line)


def _student_frames(tb: Any, directory: str) -> list[dict[str, Any]]:
    frames = []
    for frame in traceback.extract_tb(tb):
        path = os.path.realpath(frame.filename)
        if path.startswith(directory + os.sep):
            frames.append(
                {
                    "file": os.path.relpath(path, directory),
                    "line": frame.lineno,
                    "function": frame.name,
                    "text": (frame.line or "").strip(),
                }
            )
    return frames


def _describe(error: BaseException, directory: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "frames": _student_frames(error.__traceback__, directory),
    }
    if isinstance(error, SyntaxError):
        path = os.path.realpath(error.filename or "")
        info["syntax"] = {
            "file": os.path.relpath(path, directory) if path.startswith(directory) else error.filename,
            "line": error.lineno,
            "offset": error.offset,
            "text": (error.text or "").rstrip("\n"),
            "msg": error.msg,
        }
    return info


def _public_functions(module: Any) -> dict[str, str]:
    found = {}
    for name, value in vars(module).items():
        if not name.startswith("_") and inspect.isfunction(value):
            try:
                found[name] = str(inspect.signature(value))
            except (TypeError, ValueError):
                found[name] = "(...)"
    return found


def _resolve(call: dict[str, Any], module: Any) -> tuple[Any, list[Any]]:
    if call["target"] == "driver":
        import _mpgrade_drivers

        return getattr(_mpgrade_drivers, call["name"]), [module]
    function = getattr(module, call["name"], None)
    if not callable(function):
        raise LookupError(call["name"])
    return function, []


def _call(channel: Channel, call: dict[str, Any], module: Any, directory: str) -> None:
    args = wire.decode_value(call["args"])
    kwargs = wire.decode_value(call["kwargs"])
    try:
        function, leading = _resolve(call, module)
    except LookupError:
        channel.send(
            wire.RAISED, phase="lookup", type="LookupError", message=f"no function named {call['name']}", frames=[]
        )
        return
    if call["target"] == "function":
        try:
            inspect.signature(function).bind(*args, **kwargs)
        except TypeError as error:
            channel.send(
                wire.RAISED,
                phase="bind",
                type="TypeError",
                message=f"{call['name']}{inspect.signature(function)}: {error}",
                frames=[],
            )
            return
        except ValueError:
            pass
    channel.send(wire.STARTED)
    try:
        value = function(*leading, *args, **kwargs)
    except BaseException as error:  # noqa: BLE001 - student code may raise anything
        channel.send(wire.RAISED, phase="call", **_describe(error, directory))
        return
    try:
        encoded = wire.encode_value(value)
    except wire.UnsendableValue as error:
        channel.send(wire.UNSENDABLE, type=str(error), repr=repr(value)[:300])
        return
    size = len(wire.dump_message(wire.RETURNED, value=encoded))
    if size > wire.MAX_LINE:
        channel.send(
            wire.UNSENDABLE,
            type=f"value of {size >> 20} MiB (the grader takes at most {wire.MAX_LINE >> 20} MiB)",
            repr=repr(value)[:300],
        )
        return
    channel.send(wire.RETURNED, value=encoded)


def _start_helpers(channel: Channel, request: dict[str, Any]) -> None:
    """Under forkserver, start its helpers now, while no code of the submission has run."""
    try:
        method = json.loads(os.environ.get("MPGRADE_SANDBOX", "{}")).get("start_method")
    except ValueError:
        return
    if method != "forkserver" or not request.get("calls") or not sys.platform.startswith("linux"):
        return
    import _mpgrade_helpers

    channel.send(wire.HELPERS, pids=_mpgrade_helpers.start())


def main() -> None:
    channel = Channel(int(sys.argv[1]), int(sys.argv[2]))
    channel.send(wire.READY)
    request = channel.receive()
    directory = os.path.realpath(request["directory"])
    load = request.get("load", True) is not False  # False: a baseline of the grader's, none of the submission's code
    if load:
        # Last on the path: a stray file of the submission (json.py, _mpgrade_wire.py) must not
        # replace a module of the standard library or of the grader; spawned children inherit it.
        sys.path.append(directory)
    _start_helpers(channel, request)
    try:
        module = importlib.import_module(request["module"]) if load else None
    except BaseException as error:  # noqa: BLE001 - a failed import is reported, not raised
        channel.send(wire.LOAD_ERROR, **_describe(error, directory))
        channel.receive()
    else:
        recorder = sys.modules.get("_mpgrade_api")
        functions = _public_functions(module) if module is not None else {}
        channel.send(wire.LOADED, functions=functions, recorder=bool(recorder and recorder.installed()))
        for call in request.get("calls", []):
            _call(channel, call, module, directory)
            if channel.receive()["kind"] != wire.NEXT:
                break
        else:
            channel.receive()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
