"""Wire protocol between the grader and the harness inside a sandbox.

Standard library only: this module is imported inside the sandbox. Messages are
JSON objects on one line each, with a ``kind`` from a closed set. Values travel in
a tagged form so that tuples, lists and dicts survive the trip; nothing is pickled.
"""

from __future__ import annotations

import json
import os
from typing import Any

# Grader -> harness (control pipe).
REQUEST = "request"
NEXT = "next"
EXIT = "exit"

# Harness -> grader (result pipe).
READY = "ready"  # the interpreter is up, every layer on, no student code imported yet
HELPERS = "helpers"  # the start method's helpers, started before the submission's import (their pids)
LOADED = "loaded"
LOAD_ERROR = "load_error"
STARTED = "started"
RETURNED = "returned"
RAISED = "raised"
UNSENDABLE = "unsendable"

HARNESS_KINDS = frozenset({READY, HELPERS, LOADED, LOAD_ERROR, STARTED, RETURNED, RAISED, UNSENDABLE})
MAX_LINE = 64 * 1024 * 1024


class UnsendableValue(TypeError):
    """A value that the wire form cannot carry (it names the offending type)."""


def encode_value(value: Any, depth: int = 0) -> Any:
    """Turn a plain Python value into its tagged JSON-safe form."""
    if depth > 50:
        raise UnsendableValue("nested more than 50 levels deep")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [encode_value(v, depth + 1) for v in value]
    if kind is tuple:
        return {"tuple": [encode_value(v, depth + 1) for v in value]}
    if kind is dict:
        return {"dict": [[encode_value(k, depth + 1), encode_value(v, depth + 1)] for k, v in value.items()]}
    raise UnsendableValue(f"{kind.__module__}.{kind.__qualname__}")


def decode_value(data: Any) -> Any:
    """Inverse of :func:`encode_value`; rejects anything it did not produce."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict) and len(data) == 1:
        if "tuple" in data and isinstance(data["tuple"], list):
            return tuple(decode_value(v) for v in data["tuple"])
        if "dict" in data and isinstance(data["dict"], list):
            return {decode_value(k): decode_value(v) for k, v in data["dict"]}
    raise ValueError(f"not a wire value: {str(data)[:80]}")


def dump_message(kind: str, **fields: Any) -> bytes:
    """One message as a JSON line."""
    return (json.dumps({"kind": kind, **fields}, separators=(",", ":")) + "\n").encode()


def load_message(line: bytes) -> dict[str, Any]:
    """Parse one JSON line into a message dict with a string ``kind``."""
    message = json.loads(line)
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise ValueError("message without a kind")
    return message


def append_record(directory: str, record: dict[str, Any]) -> None:
    """Append one evidence record as a JSON line to ``<directory>/<pid>.jsonl`` (inside the
    sandbox; the grader reads and judges these files, never trusts them alone)."""
    try:
        fd = os.open(os.path.join(directory, f"{os.getpid()}.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    except OSError:
        pass
    finally:
        os.close(fd)


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines text; any other line is passed over."""
    found = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found
