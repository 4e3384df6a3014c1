"""Can an exercise be graded at all? Find the file, read it, import it in a sandbox."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.catalogue import Exercise
from grader.checks.support import limit_notes, location, signal_words
from grader.sandbox.isolation import Isolation
from grader.sandbox.launcher import run
from grader.sandbox.results import RunRequest, RunResult

IMPORT_TIMEOUT_S = 20.0
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) - {"__future__", "this", "antigravity"}


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


# What every exercise's processes import: the machinery of multiprocessing and
# concurrent.futures under each start method.
MACHINERY = (
    "multiprocessing.pool, multiprocessing.managers, multiprocessing.queues, multiprocessing.sharedctypes, "
    "multiprocessing.connection, multiprocessing.synchronize, multiprocessing.forkserver, "
    "multiprocessing.popen_spawn_posix, multiprocessing.popen_forkserver, multiprocessing.popen_fork, "
    "multiprocessing.resource_tracker, multiprocessing.spawn, concurrent.futures.process"
)


@functools.cache
def machinery_modules() -> frozenset[str]:
    """Top-level standard-library modules that multiprocessing needs (asked of a fresh interpreter)."""
    code = f"import sys, {MACHINERY}; print(' '.join(m.split('.')[0] for m in sys.modules))"
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=False)
    return frozenset(done.stdout.split()) & STDLIB


def _imported_by(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()  # reported by the import in the sandbox, with its line
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _shadow_problem(directory: Path, exercise: Exercise) -> str | None:
    """A file of the submission named like a standard-library module this exercise needs."""
    shadows = sorted(p.stem for p in directory.glob("*.py") if p.stem in STDLIB and p.is_file())
    if not shadows:
        return None
    source = (directory / exercise.filename).read_text(encoding="utf-8", errors="replace")
    needed = machinery_modules() | _imported_by(source)
    hit = [name for name in shadows if name in needed]
    if not hit:
        return None
    who = {name: "multiprocessing" if name in machinery_modules() else exercise.filename for name in hit}
    parts = [f"rename {name}.py: it hides Python's {name} module, which {who[name]} needs" for name in hit]
    return "; ".join(parts) + " (run as a script, Python would import your file instead)"


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
    problem = _file_problem(directory, exercise) or _shadow_problem(directory, exercise)
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
