"""What the report shows, read once: the class from a gradebook, or one grading's report.

The class's rows (status, totals, exercise scores) come from the same function as the
CSV export, so the page and the CSV cannot disagree; each check's kind, points, message
and evidence come from the counting grading of each exercise, read in a few queries
whatever the size of the class.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from grader import catalogue
from grader.batch import exports
from grader.batch.gradebook import Gradebook
from grader.checks import causes


@dataclass(frozen=True)
class CheckRow:
    exercise: str
    check: str
    kind: str
    status: str
    score: float
    max_score: float
    message: str
    data: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.exercise}/{self.check}"

    @property
    def cause(self) -> str | None:
        return causes.of(self.data, self.status)


@dataclass(frozen=True)
class GradingRow:
    id: int
    started_at: float
    ended_at: float
    status: str
    reason: str
    score: float | None
    max_score: float | None
    tool_version: str
    exercises: tuple[str, ...]

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.ended_at))


@dataclass
class Student:
    key: str
    name: str
    status: str  # graded, missing, error, not graded
    total: float | None
    max_total: float
    exercises: dict[str, float | None] = field(default_factory=dict)
    exercise_status: dict[str, str] = field(default_factory=dict)
    exercise_max: dict[str, float] = field(default_factory=dict)
    checks: list[CheckRow] = field(default_factory=list)
    gradings: list[GradingRow] = field(default_factory=list)
    late: bool | None = None
    reason: str = ""

    _by_key: dict[str, CheckRow] | None = field(default=None, init=False, repr=False, compare=False)

    def check(self, key: str) -> CheckRow | None:
        if self._by_key is None or len(self._by_key) != len(self.checks):
            self._by_key = {c.key: c for c in self.checks}
        return self._by_key.get(key)


@dataclass(frozen=True)
class Item:
    """One check of the assignment, as the class met it."""

    exercise: str
    check: str
    kind: str
    points: float

    @property
    def key(self) -> str:
        return f"{self.exercise}/{self.check}"


@dataclass
class ClassData:
    source: str
    students: list[Student]
    exercises: list[str]
    items: list[Item]
    made_at: float = field(default_factory=time.time)


def from_gradebook(book: Gradebook) -> ClassData:
    rows = exports.rows(book)
    submissions = book.submissions()
    counting = {s.student: s.id for s in submissions if s.counts}
    checks, exercise_rows = _counting_results(book, set(counting.values()))
    history = _gradings(book)
    submissions_of: dict[str, list[int]] = defaultdict(list)
    for submission in submissions:
        submissions_of[submission.student].append(submission.id)
    students = []
    for row in rows:
        student = Student(row.student, row.name, row.status, row.total, row.max_total, dict(row.exercises))
        student.late, student.reason = row.late, row.reason
        own = counting.get(row.student)
        if own is not None and row.status == "graded":
            student.checks = checks.get(own, [])
            for exercise, (status, max_score) in exercise_rows.get(own, {}).items():
                student.exercise_status[exercise], student.exercise_max[exercise] = status, max_score
        student.gradings = [g for s in submissions_of[row.student] for g in history.get(s, [])]
        students.append(student)
    return _assemble(str(book.path), students)


def _counting_results(
    book: Gradebook, wanted: set[int]
) -> tuple[dict[int, list[CheckRow]], dict[int, dict[str, tuple[str, float]]]]:
    """Per counting submission: the check rows and exercise results of its latest grading of
    each exercise (as :meth:`Gradebook.results` picks them)."""
    latest: dict[tuple[int, str], int] = {}
    exercise_rows: dict[int, dict[str, tuple[str, float]]] = defaultdict(dict)
    for row in book.db.execute(
        "SELECT g.submission, e.* FROM exercise_results e JOIN gradings g ON g.id = e.grading "
        "WHERE g.status = 'graded' ORDER BY g.id"
    ):
        if row["submission"] in wanted:
            latest[(row["submission"], row["exercise"])] = row["grading"]
            exercise_rows[row["submission"]][row["exercise"]] = (row["status"], row["max_score"])
    found: dict[int, list[CheckRow]] = defaultdict(list)
    for row in book.db.execute(
        "SELECT g.submission, c.* FROM check_results c JOIN gradings g ON g.id = c.grading "
        "WHERE g.status = 'graded' ORDER BY g.id"
    ):
        if latest.get((row["submission"], row["exercise"])) == row["grading"]:
            found[row["submission"]].append(_check_row(row))
    return found, exercise_rows


def _check_row(row: Any) -> CheckRow:
    try:
        data = json.loads(row["data"])
    except ValueError:
        data = {}
    return CheckRow(
        row["exercise"],
        row["check_id"],
        row["kind"],
        row["status"],
        row["score"],
        row["max_score"],
        row["message"],
        data if isinstance(data, dict) else {},
    )


def _gradings(book: Gradebook) -> dict[int, list[GradingRow]]:
    found: dict[int, list[GradingRow]] = defaultdict(list)
    for row in book.db.execute("SELECT * FROM gradings ORDER BY id"):
        found[row["submission"]].append(
            GradingRow(
                row["id"],
                row["started_at"],
                row["ended_at"],
                row["status"],
                row["reason"] or "",
                row["score"],
                row["max_score"],
                row["tool_version"],
                tuple(json.loads(row["exercises"])),
            )
        )
    return found


def from_report(report: dict[str, Any], key: str = "you", name: str = "") -> ClassData:
    """One grading's JSON report (``mpgrade grade``) as a class of one, for the student's page."""
    student = Student(key, name, "graded", report["score"], report["max_score"])
    for exercise in report["exercises"]:
        student.exercises[exercise["id"]] = exercise["score"]
        student.exercise_status[exercise["id"]] = exercise["status"]
        student.exercise_max[exercise["id"]] = exercise["max_score"]
        for check in exercise["checks"]:
            student.checks.append(
                CheckRow(
                    exercise["id"],
                    check["id"],
                    check["kind"],
                    check["status"],
                    check["score"],
                    check["max_score"],
                    check["message"],
                    check.get("data") or {},
                )
            )
    return _assemble(report.get("submission", ""), [student])


def _assemble(source: str, students: list[Student]) -> ClassData:
    present = {c.exercise for s in students for c in s.checks} | {e for s in students for e in s.exercises}
    exercises = [e.id for e in catalogue.EXERCISES if e.id in present]
    items: dict[str, Item] = {}
    for student in students:
        for check in student.checks:
            known = items.get(check.key)  # a skipped check has no points: take them from a judged one
            if known is None or (known.points == 0 and check.status != "skipped"):
                items[check.key] = Item(check.exercise, check.check, check.kind, check.max_score)
    order = {e: i for i, e in enumerate(exercises)}
    first_seen = {key: i for i, key in enumerate(items)}
    ordered = sorted(items.values(), key=lambda i: (order.get(i.exercise, 99), first_seen[i.key]))
    return ClassData(source, students, exercises, ordered)
