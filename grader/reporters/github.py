"""GitHub Actions: a Markdown step summary and at most ten error annotations."""

from __future__ import annotations

from pathlib import PurePosixPath

from grader.model import ExerciseOutcome, GradeReport, Status
from grader.reporters.names import check_title, load_title

MAX_ANNOTATIONS = 10
ICON = {Status.PASSED: "✅", Status.FAILED: "❌", Status.ERROR: "💥", Status.SKIPPED: "⏭️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary(report: GradeReport) -> str:
    lines = [
        f"## mpgrade: {report.score:g}/{report.max_score:g}",
        "",
        f"{sum(e.status is Status.PASSED for e in report.exercises)}/{len(report.exercises)} exercises at full "
        f"marks; start method {report.environment.start_method}.",
        "",
    ]
    for exercise in report.exercises:
        lines += [f"### {ICON[exercise.status]} {exercise.id}: {exercise.score:g}/{exercise.max_score:g}", ""]
        if exercise.status is Status.ERROR:
            lines += [f"Could not be graded: {_cell(exercise.error or '')}", ""]
            continue
        lines += ["| check | kind | points | status |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {c.id} | {c.kind.value} | {c.score:g}/{c.max_score:g} | {ICON[c.status]} {c.status.value} |"
            for c in exercise.checks
        ]
        problems = [c for c in exercise.checks if c.status in (Status.FAILED, Status.ERROR)]
        if problems:
            lines.append("")
            lines += [f"- **{c.id}**: {_cell(c.message)}" for c in problems]
        lines.append("")
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(path: str, line: int | None, title: str, message: str) -> str:
    where = f"file={_escape_property(path)}"
    if line:
        where += f",line={line}"
    return f"::error {where},title={_escape_property(title)}::{_escape_data(message)}"


def _path(report: GradeReport, exercise: ExerciseOutcome, file: str | None = None) -> str:
    return str(PurePosixPath(report.submission) / (file or exercise.file or f"{exercise.id}.py"))


def error_annotations(report: GradeReport) -> list[str]:
    """Workflow commands for the first problems, pointing at the student's file and line where known."""
    found: list[str] = []
    for exercise in report.exercises:
        if exercise.status is Status.ERROR:
            found.append(
                _annotation(_path(report, exercise), exercise.error_line, load_title(exercise), exercise.error or "")
            )
        for check in exercise.checks:
            if check.status in (Status.FAILED, Status.ERROR):
                file = check.data.get("file")
                line = check.data.get("line")
                found.append(
                    _annotation(
                        _path(report, exercise, file if isinstance(file, str) else None),
                        line if isinstance(line, int) else None,
                        check_title(exercise, check),
                        check.message,
                    )
                )
    return found[:MAX_ANNOTATIONS]
