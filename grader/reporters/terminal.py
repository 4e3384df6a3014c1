"""The student's view: what to fix first, a table per exercise, the total."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.model import CheckOutcome, ExerciseOutcome, GradeReport, Status

STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.ERROR: "bold red", Status.SKIPPED: "yellow"}


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"


def first_problem(report: GradeReport) -> str | None:
    """One sentence naming the first thing to fix, or None when everything passed."""
    for exercise in report.exercises:
        if exercise.status is Status.ERROR:
            return f"{exercise.id}: {exercise.error}"
        for check in exercise.checks:
            if check.status in (Status.FAILED, Status.ERROR):
                return f"{exercise.id} / {check.id}: {check.message}"
    return None


def _table(exercise: ExerciseOutcome, verbose: bool) -> Table:
    title = Text.assemble(
        (f"{exercise.id}", "bold"),
        f"  {exercise.title}  ",
        (_points(exercise.score, exercise.max_score), STYLE[exercise.status]),
    )
    table = Table(title=title, title_justify="left", show_edge=False, expand=False)
    for column in ("check", "kind", "points", "status"):
        table.add_column(column)
    for check in exercise.checks:
        table.add_row(
            check.id,
            check.kind.value,
            _points(check.score, check.max_score),
            Text(check.status.value, style=STYLE[check.status]),
        )
    return table


def _notes(exercise: ExerciseOutcome, verbose: bool) -> list[Text]:
    """Messages under the table, one per distinct message (checks sharing it are named together)."""
    grouped: dict[str, list[CheckOutcome]] = {}
    for check in exercise.checks:
        if check.message and (check.status is not Status.PASSED or verbose):
            grouped.setdefault(check.message, []).append(check)
    notes = [
        Text.assemble((f"  {', '.join(c.id for c in checks)}: ", STYLE[checks[0].status]), message)
        for message, checks in grouped.items()
    ]
    if verbose:
        for check in exercise.checks:
            if check.data:
                shown = ", ".join(f"{k}={v}" for k, v in check.data.items())
                notes.append(Text(f"  {check.id} figures: {shown}", style="cyan"))
    return notes


def render(report: GradeReport, console: Console, verbose: bool = False, quiet: bool = False) -> None:
    total = Text.assemble(
        ("Total ", "bold"),
        (_points(report.score, report.max_score), "bold"),
        f"  ({sum(e.status is Status.PASSED for e in report.exercises)}/{len(report.exercises)} "
        f"exercises at full marks, {report.duration_s:.1f} s, start method "
        f"{report.environment.start_method})",
    )
    if quiet:
        console.print(total)
        return
    problem = first_problem(report)
    if problem:
        console.print(Text.assemble(("Fix first: ", "bold red"), problem))
        console.print()
    for exercise in report.exercises:
        if exercise.status is Status.ERROR:
            console.print(
                Text.assemble(
                    (exercise.id, "bold"), f"  {exercise.title}  ", (f"0/{exercise.max_score:g} error", "bold red")
                )
            )
            console.print(Text("  " + (exercise.error or ""), style="red"))
        else:
            console.print(_table(exercise, verbose))
            for note in _notes(exercise, verbose):
                console.print(note)
        console.print()
    skipped = [f"{e.id}/{c.id}" for e in report.exercises for c in e.checks if c.status is Status.SKIPPED]
    if skipped:
        console.print(Text(f"Not judged on this machine (no points either way): {', '.join(skipped)}", style="yellow"))
    console.print(total)
