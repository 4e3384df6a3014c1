"""Can an exercise be graded at all? Find the file, read it, import it in a sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.catalogue import Exercise
from grader.checks.support import limit_notes, location, signal_words
from grader.sandbox.isolation import Isolation
from grader.sandbox.launcher import run
from grader.sandbox.results import RunRequest, RunResult

IMPORT_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Preflight:
    error: str | None
    duration_s: float
    line: int | None = None  # where in the file the problem is, when known


def _file_problem(directory: Path, exercise: Exercise) -> str | None:
    path = directory / exercise.filename
    if not path.exists() and not path.is_symlink():
        return f"file not found: expected {exercise.filename} in {directory}"
    resolved = path.resolve()
    if path.is_symlink() and directory.resolve() not in resolved.parents:
        return f"{exercise.filename} is a symbolic link to a file outside the submission: hand in the file itself"
    if not resolved.is_file():
        return f"{exercise.filename} is not a regular file"
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        return f"{exercise.filename} is not valid UTF-8 (byte {error.start}, line {line}): save it with UTF-8 encoding"
    return None


def _import_problem(result: RunResult, exercise: Exercise, limit: float) -> str | None:
    name = exercise.filename
    if result.outcome == "loaded":
        if result.workers():
            return (
                f"importing {name} started {len(result.workers())} process(es): importing a module must start "
                'none; move demo code into main() under `if __name__ == "__main__":`'
            )
        return None
    error = result.error
    if result.outcome == "load_error" and error is not None:
        if error.syntax:
            syntax = error.syntax
            caret = " " * max(0, int(syntax.get("offset") or 1) - 1) + "^"
            return (
                f"{error.type} in {syntax.get('file')} line {syntax.get('line')}: {syntax.get('msg')}\n"
                f"    {syntax.get('text', '').strip()}\n    {caret}"
            )
        where = ""
        if error.frames:
            frame = error.frames[-1]
            where = f" at {frame['file']}:{frame['line']}"
            if frame.get("text"):
                where += f" `{frame['text']}`"
        return f"importing {name} raised {error.type}: {error.message}{where}"
    if result.outcome == "timeout":
        return (
            f"importing {name} did not finish within {limit:g} s: is there a loop or a blocking "
            "call at module level? Put it inside a function"
        )
    return f"importing {name} ended the interpreter ({signal_words(result.exit_status)})"


def preflight(
    directory: Path, exercise: Exercise, isolation: Isolation | None = None, timeout: float = IMPORT_TIMEOUT_S
) -> Preflight:
    problem = _file_problem(directory, exercise)
    if problem is not None:
        return Preflight(problem, 0.0)
    limit = min(timeout, IMPORT_TIMEOUT_S)
    result = run(RunRequest(module=exercise.id, directory=directory, timeout=limit, isolation=isolation))
    problem = _import_problem(result, exercise, limit)
    if problem is None:
        return Preflight(None, result.duration_s)
    line = (result.error.syntax or {}).get("line") if result.error else None
    line = line or location(result).get("line")
    return Preflight(problem + limit_notes(result), result.duration_s, line)
