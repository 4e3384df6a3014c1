"""The gradebook's decisions without grading anything: roster matching, what a batch grades
again, what it retries at the end, and a grading that crashes the grader."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from grader import __version__, catalogue
from grader.batch import run
from grader.batch.gradebook import Gradebook
from grader.batch.intake import Found
from grader.config import Settings
from grader.errors import UsageError
from grader.sandbox.isolation import Isolation, Layers, Limits

EXERCISE = "ex08_array"
SETTINGS = Settings(("forkserver",), 60.0, Isolation(Limits(), Layers()), jobs=4)


def report(status: str, message: str = "") -> dict[str, Any]:
    check = {
        "id": "one-process-per-chunk",
        "kind": "processes",
        "status": status,
        "score": 0.0,
        "max_score": 2.0,
        "message": message,
        "data": {},
    }
    exercise = {"id": EXERCISE, "status": "passed", "score": 8.0, "max_score": 10.0, "error": None, "checks": [check]}
    return {"score": 8.0, "max_score": 10.0, "exercises": [exercise], "environment": {}}


def book_with(tmp_path: Path, status: str, message: str = "", version: str = __version__) -> tuple[Gradebook, int]:
    book = Gradebook(tmp_path / "g.db", create=True)
    (submission,) = book.record_intake(
        "x", "folders", [], [Found("ada", "folders", "ada", files={"ex08_array.py": b"x"})]
    )
    book.record_grading(
        submission, version, run.settings_key(SETTINGS), {}, [EXERCISE], time.time(), report(status, message)
    )
    return book, submission


def options(**extra: Any) -> run.Options:
    return run.Options(exercises=catalogue.resolve([EXERCISE]), settings=SETTINGS, **extra)


def test_unchanged_is_skipped_regrade_skipped_takes_the_skipped(tmp_path: Path) -> None:
    book, _ = book_with(tmp_path, "skipped", "the machine is too busy to show parallelism")
    assert run.plan(book, options(), run.Summary()) == []
    (work,) = run.plan(book, options(regrade_skipped=True), run.Summary())
    assert work.exercises == [EXERCISE]
    book.close()


def test_busy_skips_are_retried_one_core_skips_are_not(tmp_path: Path) -> None:
    book, _ = book_with(tmp_path, "skipped", "the machine is too busy to show parallelism")
    assert [w.exercises for w in run.retry_busy(book, options())] == [[EXERCISE]]
    book.close()
    other = tmp_path / "other"
    other.mkdir()
    book, _ = book_with(other, "skipped", "only one usable core (or one worker): parallel speedup cannot show here")
    assert run.retry_busy(book, options()) == []
    assert run.unjudged(book)[0][:3] == ("ada", EXERCISE, "one-process-per-chunk")
    book.close()


def test_gradings_of_another_version_are_listed_not_regraded(tmp_path: Path) -> None:
    book, _ = book_with(tmp_path, "passed", version="0.0.1")
    summary = run.Summary()
    assert run.plan(book, options(), summary) == []
    assert summary.stale == [("ada", [EXERCISE])]
    assert [w.why for w in run.plan(book, options(regrade=True), run.Summary())] == ["regrade"]
    book.close()


def test_roster_matches_by_id_or_email_and_lists_the_rest(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,name,email\ns1,Ada Lovelace,ada@example.com\ns2,Grace Hopper,grace@example.com\n"
        "s3,Alan Turing,alan@example.com\n"
    )
    rows = run.read_roster(roster)
    found = [
        Found("s1", "folders", "s1"),
        Found("grace@example.com", "gradescope", "submission_2"),
        Found("mallory", "folders", "mallory"),
    ]
    summary = run.Summary()
    run.match_roster(found, rows, summary)
    assert [f.key for f in found] == ["s1", "s2", "mallory"] and found[1].name == "Grace Hopper"
    assert summary.unmatched == ["mallory (mallory)"] and summary.missing == ["s3"]
    roster.write_text("id,name\ns1,Ada\ns1,Ada again\n")
    with pytest.raises(UsageError, match="appears twice"):
        run.read_roster(roster)
    roster.write_text("name,email\nAda,ada@example.com\n")
    with pytest.raises(UsageError, match="needs an `id` column"):
        run.read_roster(roster)


def test_a_submission_that_crashes_the_grader_is_recorded_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "class"
    for student in ("ada", "bob"):
        (folder / student).mkdir(parents=True)
        (folder / student / "ex08_array.py").write_text(f"# {student}\n")

    def grade(directory: Path, *_: Any) -> Any:
        if "# ada" in (directory / "ex08_array.py").read_text():
            raise RuntimeError("boom")
        raise KeyError("also boom")

    monkeypatch.setattr(run, "grade", grade)
    book = Gradebook(tmp_path / "g.db", create=True)
    summary = run.run_batch(folder, book, options())
    assert (summary.graded, summary.errors) == (0, 2)
    reasons = sorted(book.gradings(s.id)[0]["reason"] for s in book.submissions())
    assert reasons[0].startswith("internal error of the grader: KeyError") and "RuntimeError: boom" in reasons[1]
    book.close()


def test_the_progress_bar_follows_a_batch_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from grader.batch import commands

    folder = tmp_path / "class"
    for student in ("ada", "bob", "cy"):
        (folder / student).mkdir(parents=True)
        (folder / student / "ex08_array.py").write_text("x = 1\n")
    monkeypatch.setattr(run, "grade", lambda *_: (_ for _ in ()).throw(RuntimeError("no grading here")))
    book = Gradebook(tmp_path / "g.db", create=True)
    out = io.StringIO()
    summary = commands._with_bar(folder, book, options(at_once=2), Console(file=out, force_terminal=True, width=100))
    assert (summary.graded, summary.errors) == (0, 3) and "errors 3" in out.getvalue()
    book.close()
