"""Exercise files from Jupyter notebooks, as running them top to bottom would leave them.

A notebook holds a student's code in ``%%writefile exNN_topic.py`` cells: the grader
reads those cells in document order (a later ``%%writefile`` of the same file replaces
the earlier one, ``-a`` appends to it) and grades the files they write. Code that only
lives in the kernel (functions defined in ordinary cells) is not in any file, so it
cannot run in child processes under spawn or forkserver, and cannot be graded.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalogue import EXERCISES
from grader.errors import UsageError

EXERCISE_FILES = {exercise.filename for exercise in EXERCISES}
MAX_NOTEBOOK = 16 << 20


class NotebookError(UsageError):
    """A notebook that cannot be read, or that writes no exercise file."""


@dataclass
class Gathered:
    """A submission read from notebooks: every file to grade, and what the reading noticed."""

    files: dict[str, bytes]
    notes: list[str]


@dataclass
class Extracted:
    files: dict[str, str] = field(default_factory=dict)  # exercise file name -> its text
    notes: list[str] = field(default_factory=list)


def _source(cell: object) -> str:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return ""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _writefile(source: str) -> tuple[str, bool, str] | None:
    """(file name, append, content) of a ``%%writefile`` cell, None for any other cell."""
    first, _, rest = source.lstrip("\n").partition("\n")
    if not first.startswith("%%writefile"):
        return None
    try:
        words = shlex.split(first[len("%%writefile") :])
    except ValueError:
        return None
    append = any(w in ("-a", "--append") for w in words)
    names = [w for w in words if not w.startswith("-")]
    return (names[-1], append, rest) if names else None


def cells(path: Path) -> list[tuple[str, bool, str]]:
    """Every ``%%writefile`` cell of one notebook, in document order."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK:
            raise NotebookError(f"{path.name} is larger than {MAX_NOTEBOOK >> 20} MiB: clear its outputs and save it")
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise NotebookError(
            f"{path.name} is not a readable notebook ({error}): open it in Jupyter and save it"
        ) from error
    raw_cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(raw_cells, list):
        raise NotebookError(f"{path.name} has no cells: is it a Jupyter notebook (nbformat 4)?")
    return [found for found in (_writefile(_source(cell)) for cell in raw_cells) if found is not None]


def extract(notebooks: list[Path]) -> Extracted:
    """The exercise files the notebooks write (notebooks in name order, cells in document order)."""
    result = Extracted()
    writers: dict[str, str] = {}
    for notebook in sorted(notebooks):
        for name, append, text in cells(notebook):
            base = Path(name).name
            if base not in EXERCISE_FILES:
                continue
            if base in writers and writers[base] != notebook.name and not append:
                result.notes.append(f"{base} is written by {writers[base]} and {notebook.name}: the last one counts")
            writers[base] = notebook.name
            result.files[base] = (result.files.get(base, "") if append else "") + text
    if not result.files:
        shown = ", ".join(n.name for n in sorted(notebooks))
        raise NotebookError(
            f"{shown}: no cell writes an exercise file. Put each exercise's code in a cell that starts with "
            "`%%writefile exNN_topic.py` (e.g. `%%writefile ex05_queue.py`) and run it: functions defined only "
            "in the notebook's kernel cannot be started in child processes, nor graded"
        )
    return result


def read(path: Path) -> Gathered | None:
    """The files to grade when ``path`` is graded from notebooks, as bytes: a notebook's
    exercise files, or in a folder the files its notebooks write and its other .py files
    (a .py beside a notebook that writes it loses to the notebook, with a note). None when
    ``path`` is graded from its own .py files: no notebook, or notebooks that write nothing
    beside exercise files of its own. NotebookError when only notebooks are there and none
    writes an exercise file."""
    if path.is_file():
        return _encoded(extract([path])) if path.suffix == ".ipynb" else None
    found = sorted(path.glob("*.ipynb")) if path.is_dir() else []
    if not found:
        return None
    try:
        extracted = extract(found)
    except NotebookError:
        if {p.name for p in path.glob("*.py")} & EXERCISE_FILES:
            return None
        raise
    gathered = _encoded(extracted)
    for beside in sorted(path.glob("*.py")):
        if not beside.is_file():
            continue
        if beside.stat().st_size > MAX_NOTEBOOK:
            raise NotebookError(f"{beside.name} is larger than {MAX_NOTEBOOK >> 20} MiB")
        if beside.name not in gathered.files:
            gathered.files[beside.name] = beside.read_bytes()
        elif beside.read_bytes() != gathered.files[beside.name]:
            gathered.notes.append(
                f"{beside.name} beside the notebook differs from the notebook's %%writefile cell: "
                "the notebook's code is graded (run the cell to update the file)"
            )
    return gathered


def _encoded(extracted: Extracted) -> Gathered:
    return Gathered({name: text.encode() for name, text in extracted.files.items()}, extracted.notes)
