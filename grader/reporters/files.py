"""Writing report files atomically: a reader sees the old file or the whole new one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from grader.errors import UsageError


def write_atomically(path: Path, text: str) -> None:
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as error:
        raise UsageError(f"cannot write the report {path}: {error.strerror}; choose a writable path") from error
