"""A class graded into a gradebook: killed with SIGKILL mid-batch, resumed, exported.

The batch grades one fast exercise (ex08) of a small class made here: the reference
solution twice (identical work), the stub, a decoy, an empty folder. It is killed after
the second grading is committed (an observed event, not a sleep), resumed, and then
every student must be graded exactly once, with the verdicts a single ``mpgrade grade``
gives.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, checks_by_id, gradings_committed, run_cli

from grader.batch.gradebook import SCHEMA_VERSION, Gradebook

pytestmark = pytest.mark.slow
EXERCISE = "ex08_array"


def make_class(root: Path) -> Path:
    folder = root / "class"
    for student, source in (
        ("alice", ROOT / "solutions"),
        ("bob", ROOT / "exercises"),
        ("carol", ROOT / "tests" / "submissions" / "decoy_shared"),
        ("dave", ROOT / "solutions"),
    ):
        (folder / student / "work").mkdir(parents=True)
        shutil.copy(source / f"{EXERCISE}.py", folder / student / "work" / f"{EXERCISE}.py")
    (folder / "erin").mkdir()  # nothing handed in
    return folder


def batch_command(folder: Path, book: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "grader", "batch", str(folder), "--gradebook", str(book), "-e", EXERCISE, *extra]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict[str, object]]]:
    root = tmp_path_factory.mktemp("batch")
    folder, book = make_class(root), root / "class.db"
    facts: dict[str, object] = {}
    killed = subprocess.Popen(batch_command(folder, book, "--at-once", "1", "-q"), cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 300
    while gradings_committed(book) < 2 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    tree = psutil.Process(killed.pid).children(recursive=True) if killed.poll() is None else []
    facts["committed_before_kill"] = gradings_committed(book)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    gone_by = time.monotonic() + 20
    while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in tree) and time.monotonic() < gone_by:
        time.sleep(0.05)
    facts["left_running"] = [p.pid for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    facts["tree"] = len(tree)
    resumed = subprocess.run(batch_command(folder, book), cwd=ROOT, capture_output=True, text=True, check=False)
    facts["resumed"] = resumed
    yield folder, book, facts


def test_killed_batch_leaves_nothing_running_and_resumes_without_grading_twice(
    graded: tuple[Path, Path, dict[str, object]],
) -> None:
    _, book, facts = graded
    assert facts["committed_before_kill"] == 2
    assert facts["tree"], "the batch had no child process to kill: it was not grading"
    assert facts["left_running"] == [], "processes of the killed batch outlived it"
    resumed = facts["resumed"]
    assert isinstance(resumed, subprocess.CompletedProcess)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    with sqlite3.connect(book) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        per_student = dict(
            db.execute(
                "SELECT s.student, count(g.id) FROM submissions s JOIN gradings g ON g.submission = s.id "
                "GROUP BY s.student"
            )
        )
    assert per_student == {"alice": 1, "bob": 1, "carol": 1, "dave": 1, "erin": 1}
    assert "alice, dave" in resumed.stdout  # identical exercise files are listed
    assert "erin: no exercise files" in resumed.stdout


def test_verdicts_are_those_of_a_single_grading(graded: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    folder, book, _ = graded
    for student in ("alice", "carol"):
        out = tmp_path / f"{student}.json"
        code, _, report, err = run_cli("grade", str(folder / student / "work"), "-e", EXERCISE, "--json", str(out))
        assert report is not None, err
        single = {check: row["status"] for check, row in checks_by_id(report, EXERCISE).items()}
        code, _, _, err = run_cli("gradebook", str(book), "export", "--json", str(out), "--student", student)
        assert code == 0, err
        stored = {check: row["status"] for check, row in checks_by_id(json.loads(out.read_text()), EXERCISE).items()}
        judged = {c for c in single if "skipped" not in (single[c], stored[c])}
        assert {c: stored[c] for c in judged} == {c: single[c] for c in judged}
    assert set(single.values()) != {"passed"}  # carol's decoy fails something in both


def test_exports(graded: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    _, book, _ = graded
    out = tmp_path / "grades.csv"
    code, stdout, _, err = run_cli("gradebook", str(book), "export", "--csv", str(out), "--checks")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    header = out.read_text().splitlines()[0].split(",")
    assert header[:5] == ["student", "name", "total", "status", EXERCISE]
    assert {"unjudged", "late", f"{EXERCISE}/squares"} <= set(header)
    by_student = {row["student"]: row for row in rows}
    assert by_student["alice"]["total"] == "10" and by_student["alice"]["status"] == "graded"
    assert by_student["bob"]["total"] == "0"
    assert by_student["erin"]["status"] == "error" and by_student["erin"]["total"] == ""
    code, _, _, err = run_cli("gradebook", str(book), "export", "--csv", str(out), "--format", "canvas")
    assert code == 0, err
    canvas = out.read_text().splitlines()
    assert canvas[0].split(",")[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1].startswith("Points Possible")
    code, _, _, err = run_cli("gradebook", str(book), "export", "--csv", str(out), "--format", "moodle")
    assert code == 0 and out.read_text().startswith("ID number,Email address,Full name,Grade,Feedback")
    code, stdout, _, err = run_cli("gradebook", str(book), "show", "alice")
    assert code == 0 and f"{EXERCISE}/squares" in stdout


def test_regrade_on_purpose_and_stale_gradings_listed(
    graded: tuple[Path, Path, dict[str, object]], tmp_path: Path
) -> None:
    folder, original, _ = graded
    book = tmp_path / "copy.db"
    with sqlite3.connect(original) as source, sqlite3.connect(book) as target:
        source.backup(target)
    code, stdout, _, err = run_cli("batch", str(folder), "--gradebook", str(book), "-e", EXERCISE, "--timeout", "45")
    assert code == 0, err
    assert "graded 0" in stdout and "other settings" in stdout and "alice: ex08_array" in stdout
    code, stdout, _, err = run_cli("batch", str(folder), "--gradebook", str(book), "-e", EXERCISE, "--regrade")
    assert code == 0 and "graded 4" in stdout, stdout + err
    with sqlite3.connect(book) as db:
        assert db.execute("SELECT count(*) FROM gradings").fetchone()[0] == 9  # 5 kept as history, 4 new


def test_a_second_batch_on_the_same_gradebook_is_refused(graded: tuple[Path, Path, dict[str, object]]) -> None:
    folder, book, _ = graded
    holder = Gradebook(book)
    holder.lock()
    try:
        code, _, _, err = run_cli("batch", str(folder), "--gradebook", str(book), "-e", EXERCISE)
    finally:
        holder.close()
    assert code == 2 and "another batch" in err


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    book = tmp_path / "g.db"
    Gradebook(book, create=True).close()
    code = (
        "import pathlib, time; from grader.batch.gradebook import Gradebook; "
        f"g = Gradebook(pathlib.Path({str(book)!r})); g.lock(); print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    again = Gradebook(book)
    again.lock()  # never refused after its holder was killed
    again.close()


def test_files_that_are_not_gradebooks_are_refused_by_name(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("grades: none\n")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.db"
    Gradebook(newer, create=True).close()
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for path, words in (
        (text, "not an SQLite database"),
        (other, "not an mpgrade gradebook"),
        (newer, "newer mpgrade"),
    ):
        code, _, _, err = run_cli("gradebook", str(path), "show")
        assert code == 2 and words in err and str(path) in err.replace("\n", ""), err


def test_what_changed_between_two_gradings(tmp_path: Path) -> None:
    from grader.batch import exports
    from grader.batch.intake import Found

    book = Gradebook(tmp_path / "g.db", create=True)
    (submission,) = book.record_intake(
        "x", "folders", [], [Found("ada", "folders", "ada", files={"ex08_array.py": b"x"})]
    )

    def report(status: str) -> dict[str, object]:
        check = {
            "id": "squares",
            "kind": "correctness",
            "status": status,
            "score": 0.0,
            "max_score": 3.0,
            "message": "",
            "data": {},
        }
        exercise = {"id": EXERCISE, "status": status, "score": 0.0, "max_score": 10.0, "error": None, "checks": [check]}
        return {"score": 0.0, "max_score": 10.0, "exercises": [exercise], "environment": {}}

    for status in ("failed", "passed"):
        book.record_grading(submission, "0.1.0", "{}", {}, [EXERCISE], time.time(), report(status))
    (change,) = exports.changes(book, "ada")
    assert (change.exercise, change.check, change.before, change.after) == (EXERCISE, "squares", "failed", "passed")
    book.close()
