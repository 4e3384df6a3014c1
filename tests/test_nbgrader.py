"""A real nbgrader round trip: export, generate_assignment, autograde, feedback.

The course holds two fast exercises (ex07, whose released notebook is the racy program
itself, and ex08). Three students hand in the released notebooks filled with the
reference solutions, left as released (stubs), and with flawed code. nbgrader's points
for every test cell must equal what ``mpgrade grade`` gives the same code, check by check
wherever both judged it, and the feedback HTML must show each check's message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="nbgrader 0.9 needs Python 3.11 or newer"),
]
nbgrader_api = pytest.importorskip("nbgrader.api", reason="nbgrader is not installed: pip install -e '.[nbgrader]'")

EXERCISES = ("ex07_value", "ex08_array")
ASSIGNMENT = "ps1"
STUDENTS = {  # student -> where each exercise's code comes from (None: the released notebook as it is)
    "good": {"ex07_value": ROOT / "solutions", "ex08_array": ROOT / "solutions"},
    "stub": {"ex07_value": None, "ex08_array": None},
    "flawed": {"ex07_value": ROOT / "tests/submissions/racy", "ex08_array": ROOT / "tests/submissions/decoy_shared"},
}
LINE = re.compile(r"^(passed|failed|error): (\S+) - ", re.M)
SKIPPED = re.compile(r"^skipped \(its points are given\): (\S+) - ", re.M)


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [sys.executable, "-m", "nbgrader", *args, "--Execute.timeout=900", "--Execute.kernel_name=python3"]
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _fill(released: Path, target: Path, source: Path | None) -> None:
    book = json.loads(released.read_text())
    if source is not None:
        for cell in book["cells"]:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if text.startswith("%%writefile"):
                first = text.split("\n", 1)[0]
                cell["source"] = f"{first}\n{(source / (first.split()[-1])).read_text()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(book))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("nbgrader")
    course = root / "course"
    args = ["export", "nbgrader", str(course), "--assignment", ASSIGNMENT, *(x for e in EXERCISES for x in ("-e", e))]
    code, out, _, err = run_cli(*args)
    assert code == 0, out + err
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = course / "release" / ASSIGNMENT
    code_of: dict[str, Path] = {}
    for student, sources in STUDENTS.items():
        mine = root / "code" / student
        mine.mkdir(parents=True)
        for exercise, source in sources.items():
            _fill(
                released / f"{exercise}.ipynb",
                course / "submitted" / student / ASSIGNMENT / f"{exercise}.ipynb",
                source,
            )
            shutil.copy((source or ROOT / "exercises") / f"{exercise}.py", mine / f"{exercise}.py")
        code_of[student] = mine
    _nbgrader(course, "autograde", ASSIGNMENT, "--force")
    _nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return {"course": course, "code": code_of, "released": released}


def test_the_released_notebooks_hold_the_kit_stubs(course: dict[str, Any]) -> None:
    for exercise in EXERCISES:
        book = json.loads((course["released"] / f"{exercise}.ipynb").read_text())
        code = next("".join(c["source"]) for c in book["cells"] if "".join(c["source"]).startswith("%%writefile"))
        assert "### BEGIN SOLUTION" not in code
        if exercise == "ex07_value":  # the racy program, runnable, not nbgrader's generic stub
            assert code.split("\n", 1)[1] == (ROOT / "exercises" / "ex07_value.py").read_text()
        else:
            assert "raise NotImplementedError()" in code


def _cells(course: Path, student: str, exercise: str) -> list[tuple[str, float, str]]:
    """(grade id, nbgrader's automatic score, the cell's printed output) of each test cell."""
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        scores = {g.name: g.auto_score for g in book.find_submission_notebook(exercise, ASSIGNMENT, student).grades}
    graded = json.loads((course / "autograded" / student / ASSIGNMENT / f"{exercise}.ipynb").read_text())
    found = []
    for cell in graded["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("mpgrade-"):
            printed = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("name") == "stdout")
            assert not any(o.get("name") == "stderr" for o in cell.get("outputs", [])), grade_id
            found.append((grade_id, float(scores[grade_id]), printed))
    return found


@pytest.mark.parametrize("student", list(STUDENTS))
def test_nbgrader_points_equal_mpgrade_on_every_check_judged_in_both(course: dict[str, Any], student: str) -> None:
    code, out, report, err = run_cli(
        "grade",
        str(course["code"][student]),
        *(x for e in EXERCISES for x in ("-e", e)),
        "--json",
        str(course["code"][student] / "r.json"),
    )
    assert report is not None, out + err
    for exercise in report["exercises"]:
        mine = {c["id"]: c for c in exercise["checks"]}
        for grade_id, points, printed in _cells(course["course"], student, exercise["id"]):
            kind = grade_id.removeprefix("mpgrade-")
            theirs = {check: status for status, check in LINE.findall(printed)}
            skipped = set(SKIPPED.findall(printed))
            in_kind = [c for c in mine.values() if c["kind"] == kind]
            if exercise["status"] == "error" and not in_kind:
                assert points == 0.0, (grade_id, printed)
                continue
            assert set(theirs) | skipped == {c["id"] for c in in_kind}, (grade_id, printed)
            both = [c for c in in_kind if c["status"] != "skipped" and c["id"] in theirs]
            for check in both:
                assert theirs[check["id"]] == check["status"], (grade_id, check["id"], printed)
            if not skipped and all(c["status"] != "skipped" for c in in_kind):
                assert points == pytest.approx(sum(c["score"] for c in in_kind)), (grade_id, printed)


def test_feedback_shows_each_check_message(course: dict[str, Any]) -> None:
    page = (course["course"] / "feedback" / "flawed" / ASSIGNMENT / "ex07_value.html").read_text()
    assert "no-lost-updates" in page and "lost" in page and "get_lock" in page
