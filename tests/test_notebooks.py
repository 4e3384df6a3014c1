"""Notebooks: reading %%writefile cells, grading notebooks, the nbgrader course export.

Without nbgrader: the files a notebook writes (order, appends, a stale .py), the errors
for notebooks that write nothing, ``mpgrade grade`` and ``mpgrade batch`` on notebooks,
and the exported course (solution regions that release the kit's stub, points per check
kind equal to mpgrade's, test cells that score a real grading and give a skipped check
its points). The real nbgrader round trip is in ``test_nbgrader.py``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, checks_by_id, run_cli

from grader import catalogue, nbgrader_course, notebooks
from grader.batch import intake


def _notebook(path: Path, *sources: str) -> Path:
    cells = [
        {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None} for s in sources
    ]
    cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": "%%writefile ex01_process.py\nnot code"})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_cells_count_in_document_order_with_appends(tmp_path: Path) -> None:
    book = _notebook(
        tmp_path / "work.ipynb",
        "%%writefile ex08_array.py\nfirst = 1\n",
        "def in_kernel_only(): pass",
        "%%writefile ex08_array.py\nsecond = 2\n",
        "%%writefile -a ex08_array.py\nthird = 3\n",
        "%%writefile notes.txt\nnot an exercise",
        "%%writefile 'ex05_queue.py'\nqueue = 1\n",
    )
    found = notebooks.extract([book])
    assert found.files == {"ex08_array.py": "second = 2\nthird = 3\n", "ex05_queue.py": "queue = 1\n"}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not a readable notebook"),
        (json.dumps({"nbformat": 4}), "has no cells"),
        (json.dumps({"cells": [{"cell_type": "code", "source": "def f(): pass"}]}), "%%writefile exNN_topic.py"),
    ],
)
def test_a_notebook_that_writes_no_exercise_file_is_refused_with_the_fix(
    tmp_path: Path, content: str, words: str
) -> None:
    (tmp_path / "mine.ipynb").write_text(content)
    with pytest.raises(notebooks.NotebookError, match=re.escape(words)):
        notebooks.extract([tmp_path / "mine.ipynb"])


def test_a_stale_py_beside_the_notebook_loses_with_a_note(tmp_path: Path) -> None:
    _notebook(tmp_path / "work.ipynb", "%%writefile ex08_array.py\nfresh = 1\n")
    (tmp_path / "ex08_array.py").write_text("stale = 1\n")
    (tmp_path / "ex05_queue.py").write_text("other = 1\n")
    found = notebooks.read(tmp_path)
    assert found is not None
    assert found.files == {"ex08_array.py": b"fresh = 1\n", "ex05_queue.py": b"other = 1\n"}
    assert any("ex08_array.py beside the notebook" in note for note in found.notes)


def test_a_folder_of_py_files_with_a_scratch_notebook_is_graded_from_its_files(tmp_path: Path) -> None:
    (tmp_path / "ex08_array.py").write_text("x = 1\n")
    _notebook(tmp_path / "scratch.ipynb", "print('hello')")
    assert notebooks.read(tmp_path) is None


def _solution_notebook(path: Path, exercise: str, source: Path) -> Path:
    return _notebook(path, f"%%writefile {exercise}.py\n{source.read_text()}", f"import {exercise}")


@pytest.mark.slow
def test_grade_reads_a_notebook_file_and_explains_a_kernel_only_one(tmp_path: Path) -> None:
    good = _solution_notebook(tmp_path / "ex08.ipynb", "ex08_array", ROOT / "solutions" / "ex08_array.py")
    code, out, report, err = run_cli("grade", str(good), "-e", "ex08", "--json", str(tmp_path / "r.json"))
    assert code == 0, out + err
    assert report is not None and report["score"] == report["max_score"] and report["submission"] == str(good)
    kernel_only = _notebook(tmp_path / "kernel.ipynb", (ROOT / "solutions" / "ex08_array.py").read_text())
    code, out, _, err = run_cli("grade", str(kernel_only), "-e", "ex08")
    assert code == 2 and "`%%writefile exNN_topic.py`" in " ".join(err.split()), out + err


def test_batch_reads_nbgrader_submitted_folders(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "nbgrader_config.py").parent.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    for student in ("alice", "bob"):
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        _solution_notebook(folder / "ex08_array.ipynb", "ex08_array", ROOT / "solutions" / "ex08_array.py")
    (course / "submitted" / "bob" / "ps1" / "ex08_array.py").write_text("stale = 1\n")
    found = intake.read(course, tmp_path / "staging")
    assert found.shape == "nbgrader" and [s.key for s in found.submissions] == ["alice", "bob"]
    assert all(s.shape == "nbgrader" and s.problem is None for s in found.submissions)
    wanted = (ROOT / "solutions" / "ex08_array.py").read_bytes()
    assert all(s.files["ex08_array.py"] == wanted for s in found.submissions)
    assert any(note.startswith("bob: ex08_array.py beside the notebook") for note in found.notes)


# --- the course export ------------------------------------------------------------------------


def release(source: str) -> str:
    """What nbgrader's ClearSolutions leaves of a cell: each region replaced by its code stub."""
    return re.sub(
        r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION$",
        lambda m: f"{m['indent']}# YOUR CODE HERE\n{m['indent']}raise NotImplementedError()",
        source,
        flags=re.S | re.M,
    )


def _code_cell(book: dict[str, Any]) -> str:
    return next(c["source"] for c in book["cells"] if c["source"].startswith("%%writefile"))


@pytest.mark.parametrize("exercise", [e.id for e in catalogue.EXERCISES])
def test_each_notebook_holds_the_solution_and_releases_an_importable_stub(tmp_path: Path, exercise: str) -> None:
    entry = catalogue.BY_ID[exercise]
    book = nbgrader_course.notebook(entry, ROOT, sys.executable)
    code = _code_cell(book).split("\n", 1)[1]
    stub = (ROOT / "exercises" / entry.filename).read_text()
    if "### BEGIN SOLUTION" not in code:  # ex07: the racy program runs as given
        assert (
            code == stub
            and "nbgrader" not in next(c for c in book["cells"] if c["source"] == _code_cell(book))["metadata"]
        )
        return
    solution_tree = ast.parse((ROOT / "solutions" / entry.filename).read_text())
    assert {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)} >= {
        n.name for n in solution_tree.body if isinstance(n, ast.FunctionDef)
    }
    released = release(code)
    assert "### BEGIN SOLUTION" not in released
    namespace: dict[str, Any] = {"__name__": "released"}
    exec(compile(released, entry.filename, "exec"), namespace)  # defines functions only: the module imports
    points = sum(
        c["metadata"]["nbgrader"]["points"] for c in book["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
    )
    assert points == entry.points
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in book["cells"] if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids))


def test_export_keeps_an_existing_config_and_refuses_an_existing_assignment(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text("# mine\n")
    written = nbgrader_course.export_course(tmp_path, catalogue.resolve(["ex08"]), "ps1")
    assert not written.config_written and (tmp_path / "nbgrader_config.py").read_text() == "# mine\n"
    assert [p.name for p in written.notebooks] == ["ex08_array.ipynb"]
    with pytest.raises(nbgrader_course.UsageError, match="already holds an assignment"):
        nbgrader_course.export_course(tmp_path, catalogue.resolve(["ex08"]), "ps1")
    other = nbgrader_course.export_course(tmp_path, catalogue.resolve(["ex07"]), "ps2")
    assert other.notebooks and (tmp_path / "source" / "ps1" / "ex08_array.ipynb").exists()


KERNEL = """
import ast, json, sys
values = []
for source in json.load(open(sys.argv[1])):
    tree = ast.parse(source)
    last = tree.body.pop()
    exec(compile(tree, "cell", "exec"), globals())
    values.append(eval(compile(ast.Expression(last.value), "cell", "eval"), globals()))
print(json.dumps(values))
"""


def _run_cells(folder: Path, sources: list[str]) -> tuple[list[float], str]:
    (folder / "cells.json").write_text(json.dumps(sources))
    done = subprocess.run(
        [sys.executable, "-c", KERNEL, "cells.json"], cwd=folder, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    *printed, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(printed)


@pytest.mark.slow
def test_test_cells_score_a_real_grading_and_give_skipped_checks_their_points(tmp_path: Path) -> None:
    entry = catalogue.BY_ID["ex07_value"]
    book = nbgrader_course.notebook(entry, ROOT, sys.executable)
    tests = [c for c in book["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    shutil_copy = (ROOT / "tests" / "submissions" / "racy" / "ex07_value.py").read_text()
    (tmp_path / "ex07_value.py").write_text(shutil_copy)
    scores, printed = _run_cells(tmp_path, [c["source"] for c in tests])
    code, out, report, err = run_cli("grade", str(tmp_path), "-e", "ex07", "--json", str(tmp_path / "mine.json"))
    assert report is not None, out + err
    checks = checks_by_id(report, "ex07_value")
    for cell, score in zip(tests, scores, strict=True):
        kind = cell["metadata"]["nbgrader"]["grade_id"].removeprefix("mpgrade-")
        mine = [c for c in checks.values() if c["kind"] == kind]
        assert not any(c["status"] == "skipped" for c in mine)
        assert score == sum(c["score"] for c in mine), (kind, printed)
    assert "failed: no-lost-updates" in printed

    kept = json.loads((tmp_path / ".mpgrade-ex07_value.json").read_text())
    for check in kept["exercises"][0]["checks"]:  # the machine could not judge any check
        check.update(status="skipped", score=0.0, max_score=0.0, message="busy machine")
    (tmp_path / ".mpgrade-ex07_value.json").write_text(json.dumps(kept))
    later = [c["source"] for c in tests[1:]]
    scores, printed = _run_cells(tmp_path, later)
    assert scores == [c["metadata"]["nbgrader"]["points"] for c in tests[1:]] and "skipped" in printed
