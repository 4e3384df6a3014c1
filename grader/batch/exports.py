"""What leaves a gradebook: the class's rows, a student's JSON report, LMS imports.

Reads the gradebook only. One row per student (roster students without a submission
included), from the student's counting submission: each exercise's result from the
latest grading that covered it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from grader import catalogue
from grader.batch.gradebook import Gradebook

CONTRACT_COLUMNS = ("student", "name", "total", "status")


@dataclass
class Row:
    student: str
    name: str
    email: str
    on_roster: bool
    status: str  # graded, missing, error, not graded
    total: float | None
    max_total: float
    exercises: dict[str, float | None] = field(default_factory=dict)  # id -> score (None: not graded)
    checks: dict[str, str] = field(default_factory=dict)  # "exNN/check-id" -> status
    unjudged: list[str] = field(default_factory=list)  # "exNN/check-id: why"
    late: bool | None = None
    reason: str = ""
    fingerprint: str = ""


def rows(book: Gradebook) -> list[Row]:
    students = {row["id"]: row for row in book.students()}
    counting = {s.student: s for s in book.submissions() if s.counts}
    found = []
    for student_id, student in students.items():
        row = Row(student_id, student["name"], student["email"], bool(student["on_roster"]), "missing", None, 0.0)
        submission = counting.get(student_id)
        if submission is not None:
            row.late, row.fingerprint = submission.late, submission.fingerprint
            _fill(book, row, submission.id, submission.problem)
        found.append(row)
    return found


def _fill(book: Gradebook, row: Row, submission: int, problem: str | None) -> None:
    results = book.results(submission)
    gradings = book.gradings(submission)
    if problem is not None or (not results and gradings):
        row.status = "error"
        row.reason = problem or (gradings[-1]["reason"] or "")
        return
    if not results:
        row.status = "not graded"
        return
    row.status = "graded"
    row.total = round(sum(r.score for r in results.values()), 2)
    row.max_total = round(sum(r.max_score for r in results.values()), 2)
    for exercise, result in sorted(results.items()):
        row.exercises[exercise] = result.score
        for check in book.checks(result.grading, exercise):
            row.checks[f"{exercise}/{check['check_id']}"] = check["status"]
            if check["status"] == "skipped":
                row.unjudged.append(f"{exercise}/{check['check_id']}: {check['message']}")


def _exercise_ids(found: list[Row]) -> list[str]:
    present = {e for row in found for e in row.exercises}
    return [e.id for e in catalogue.EXERCISES if e.id in present]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def class_csv(book: Gradebook, with_checks: bool = False) -> str:
    found = rows(book)
    exercises = _exercise_ids(found)
    check_names = sorted({name for row in found for name in row.checks}) if with_checks else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CONTRACT_COLUMNS, *exercises, "unjudged", "late", *check_names])
    for row in found:
        writer.writerow(
            [
                row.student,
                row.name,
                _number(row.total),
                row.status,
                *(_number(row.exercises.get(e)) for e in exercises),
                "; ".join(row.unjudged),
                "" if row.late is None else ("yes" if row.late else "no"),
                *(row.checks.get(name, "") for name in check_names),
            ]
        )
    return out.getvalue()


def canvas_csv(book: Gradebook, assignment: str) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then the
    assignment's column (a new column name makes a new assignment), after a Points Possible row."""
    found = rows(book)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    possible = max((row.max_total for row in found), default=0.0) or sum(e.points for e in catalogue.EXERCISES)
    writer.writerow(["Points Possible", "", "", "", "", f"{possible:g}"])
    for row in found:
        writer.writerow(
            [row.name, row.student, row.student if row.on_roster else "", row.email, "", _number(row.total)]
        )
    return out.getvalue()


def moodle_csv(book: Gradebook) -> str:
    """Moodle's grade import (Grades > Import > CSV file): a column to map students by
    (ID number or email address), the grade, and feedback."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ID number", "Email address", "Full name", "Grade", "Feedback"])
    for row in rows(book):
        feedback = row.reason or (f"{len(row.unjudged)} check(s) could not be judged" if row.unjudged else "")
        writer.writerow([row.student, row.email, row.name, _number(row.total), feedback])
    return out.getvalue()


def student_report(book: Gradebook, student: str) -> dict[str, Any] | None:
    """The student's JSON report: each exercise's latest result, as in a single grading."""
    counting = next((s for s in book.submissions() if s.counts and s.student == student), None)
    if counting is None:
        return None
    base: dict[str, Any] | None = None
    exercises: dict[str, dict[str, Any]] = {}
    for grading in book.gradings(counting.id):
        if grading["report"] is None:
            continue
        report = json.loads(grading["report"])
        base = report
        for exercise in report["exercises"]:
            exercises[exercise["id"]] = exercise
    if base is None:
        return None
    ordered = [exercises[e.id] for e in catalogue.EXERCISES if e.id in exercises]
    return {
        **base,
        "exercises": ordered,
        "score": round(sum(e["score"] for e in ordered), 2),
        "max_score": round(sum(e["max_score"] for e in ordered), 2),
    }


@dataclass(frozen=True)
class Change:
    exercise: str
    check: str
    before: str
    after: str
    earlier: int  # grading ids
    later: int


def changes(book: Gradebook, student: str) -> list[Change]:
    """What changed, check by check, between the last two gradings of each exercise of the
    student's counting submission."""
    counting = next((s for s in book.submissions() if s.counts and s.student == student), None)
    if counting is None:
        return []
    by_exercise: dict[str, list[int]] = {}
    for grading in book.gradings(counting.id):
        for exercise in json.loads(grading["exercises"]):
            by_exercise.setdefault(exercise, []).append(grading["id"])
    found = []
    for exercise, gradings in sorted(by_exercise.items()):
        if len(gradings) < 2:
            continue
        earlier, later = gradings[-2], gradings[-1]
        before = {row["check_id"]: row["status"] for row in book.checks(earlier, exercise)}
        after = {row["check_id"]: row["status"] for row in book.checks(later, exercise)}
        for check in sorted(set(before) | set(after)):
            if before.get(check) != after.get(check):
                found.append(Change(exercise, check, before.get(check, "-"), after.get(check, "-"), earlier, later))
    return found
