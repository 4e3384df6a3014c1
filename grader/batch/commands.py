"""``mpgrade batch`` and ``mpgrade gradebook``: their options and what they print."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from grader import catalogue
from grader.batch import exports
from grader.batch.cluster import RESOURCE, Tls
from grader.batch.gradebook import Gradebook
from grader.batch.intake import IntakeError
from grader.batch.run import Options, Summary, Work, run_batch
from grader.batch.run import Progress as Progress_
from grader.config import Settings
from grader.errors import UsageError
from grader.report import command as report_command
from grader.reporters.files import write_atomically


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    settings_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """``batch`` (with ``settings_options``: what a grading depends on) and ``gradebook``."""
    batch = commands.add_parser(
        "batch",
        help="grade a whole class into a gradebook",
        description="Grade every submission found in SUBMISSIONS (a folder or a .zip: student folders, GitHub "
        "Classroom repositories, one zip per student, Canvas, Moodle or Gradescope downloads, an nbgrader course's "
        "submitted/ folder; exercise files or notebooks with %%writefile cells) into the SQLite "
        "gradebook FILE.db. Unchanged submissions already graded are skipped; a batch killed at any moment "
        "resumes where it was. Exit status: 0 the batch ran (whatever the students scored), 2 usage error or an "
        "unusable or locked gradebook.",
    )
    batch.add_argument("submissions", type=Path, metavar="SUBMISSIONS")
    batch.add_argument("--gradebook", type=Path, required=True, metavar="FILE.db", help="the gradebook (made if new)")
    batch.add_argument("--roster", type=Path, metavar="ROSTER.csv", help="the class list: columns id, name, email")
    batch.add_argument(
        "--regrade", action="store_true", help="grade again what was graded (with -e: only those exercises)"
    )
    batch.add_argument(
        "--regrade-skipped", action="store_true", help="grade again the exercises that have a skipped check"
    )
    batch.add_argument(
        "--at-once",
        type=int,
        default=2,
        metavar="N",
        help="submissions graded at the same time (default 2); their runs share the --jobs slots",
    )
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress, only the summary")
    batch.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on a Dask cluster: tcp://HOST:8786 (a private network only: whoever reaches a plain "
        "scheduler runs code on its workers), tls://HOST:8786 with the --tls-* files, or local:N (N worker "
        "processes on this machine)",
    )
    _tls_options(batch, "this client")
    settings_options(batch)
    worker = commands.add_parser(
        "worker",
        help="start Dask workers that grade for `mpgrade batch --dask`",
        description="Start grading workers on this machine for the Dask scheduler at ADDRESS: `dask worker` with "
        "one thread per worker, one grading slot each (resource grading=1) and mpgrade's preload (it clears what "
        "a killed worker left). Each worker process has a nanny that restarts it if it dies.",
    )
    worker.add_argument("address", metavar="ADDRESS", help="the scheduler: tcp://HOST:8786 or tls://HOST:8786")
    worker.add_argument("--nworkers", type=int, default=1, metavar="N", help="worker processes (default 1)")
    worker.add_argument("--name", help="the workers' name (numbered when several)")
    _tls_options(worker, "this worker")
    book = commands.add_parser(
        "gradebook",
        help="read a gradebook: summary, exports, the class report",
        description="Read a gradebook made by `mpgrade batch`. Exit status: 0 success, 2 usage error or an "
        "unusable gradebook.",
    )
    book.add_argument("gradebook", type=Path, metavar="FILE.db")
    actions = book.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="the class, or one student's results, in the terminal")
    show.add_argument("student", nargs="?", help="a student id")
    export = actions.add_parser("export", help="the class as CSV (or one student's JSON report)")
    export.add_argument("--csv", type=Path, metavar="OUT.csv", help="write the class's rows")
    export.add_argument(
        "--format", choices=["mpgrade", "canvas", "moodle"], default="mpgrade", help="columns of OUT.csv"
    )
    export.add_argument("--checks", action="store_true", help="a column per check (mpgrade format)")
    export.add_argument("--assignment", default="mpgrade", help="the assignment's column name (canvas format)")
    export.add_argument("--json", type=Path, metavar="OUT.json", help="write one student's JSON report")
    export.add_argument("--student", help="the student of --json")
    report_command.add_parser(actions)


TLS_FILES = (
    ("--tls-ca-file", "the CA certificate"),
    ("--tls-cert", "{}'s certificate"),
    ("--tls-key", "{}'s private key"),
)


def _tls_options(command: argparse.ArgumentParser, who: str) -> None:
    for flag, what in TLS_FILES:
        command.add_argument(flag, type=Path, metavar="FILE", help=f"{what.format(who)} (PEM) for a tls:// scheduler")


def batch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.at_once <= 0:
        raise UsageError(f"--at-once must be a positive whole number, got {args.at_once}")
    if args.roster is not None and not args.roster.is_file():
        raise UsageError(f"the roster {args.roster} does not exist")
    options = Options(
        exercises=catalogue.resolve(args.exercise),
        settings=settings,
        regrade=args.regrade,
        regrade_skipped=args.regrade_skipped,
        at_once=args.at_once,
        roster=args.roster,
        dask=args.dask,
        tls=Tls(args.tls_ca_file, args.tls_cert, args.tls_key),
    )
    args.gradebook.parent.mkdir(parents=True, exist_ok=True)
    book = Gradebook(args.gradebook, create=True)
    try:
        book.lock()
        begun = time.monotonic()
        try:
            if args.quiet:
                summary = run_batch(args.submissions, book, options)
            elif console.is_terminal:
                summary = _with_bar(args.submissions, book, options, console)
            else:
                summary = run_batch(args.submissions, book, options, _log_line(console))
        except IntakeError as error:
            raise UsageError(str(error)) from error
        _print_summary(summary, console, time.monotonic() - begun, args.gradebook)
    finally:
        book.close()
    return 0


def worker_command(args: argparse.Namespace) -> list[str]:
    """``dask worker`` as ``mpgrade worker`` runs it."""
    if args.nworkers < 1:
        raise UsageError(f"--nworkers must be a positive whole number, got {args.nworkers}")
    if not args.address.startswith(("tcp://", "tls://")):
        raise UsageError(f"{args.address}: give the scheduler as tcp://HOST:PORT or tls://HOST:PORT")
    command = [sys.executable, "-m", "distributed.cli.dask_worker", args.address, "--nthreads", "1"]
    command += ["--nworkers", str(args.nworkers), "--resources", f"{RESOURCE}=1", "--preload", "grader.batch.remote"]
    command += ["--no-dashboard"] + (["--name", args.name] if args.name else [])
    for flag, _ in TLS_FILES:
        path = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if path is not None:
            command += [flag, str(path)]
    return command


def worker(args: argparse.Namespace) -> int:
    """Run the workers in this process's place (they stop with Ctrl-C or SIGTERM)."""
    command = worker_command(args)
    try:
        import distributed  # noqa: F401
    except ImportError as error:
        raise UsageError("mpgrade worker needs the dask extra: pip install 'mpgrade[dask]'") from error
    os.execv(sys.executable, command)
    return 0  # not reached


def _log_line(console: Console) -> Progress_:
    def line(work: Work, outcome: str, done: int, total: int) -> None:
        if outcome == "started":
            return
        console.print(f"[{done}/{total}] {work.submission.student}: {outcome} ({work.why})", highlight=False)

    return line


def _with_bar(submissions: Path, book: Gradebook, options: Options, console: Console) -> Summary:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("errors {task.fields[errors]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("reading the submissions", total=None, errors=0)
        errors = 0
        grading: list[str] = []

        def advance(work: Work, outcome: str, done: int, total: int) -> None:
            nonlocal errors
            if outcome == "started":
                grading.append(work.submission.student)
            else:
                errors += outcome == "error"
                grading.remove(work.submission.student)
            description = f"grading {', '.join(grading)}" if grading else "grading"
            bar.update(task, total=total, completed=done, errors=errors, description=description)

        return run_batch(submissions, book, options, advance)


def _print_summary(summary: Summary, console: Console, seconds: float, path: Path) -> None:
    console.print(
        f"intake: {summary.found} submission(s) as {summary.shape}; graded {summary.graded}, errors {summary.errors}, "
        f"unchanged {summary.unchanged} ({seconds:.1f} s) -> {path}"
    )
    sections: list[tuple[str, list[str]]] = [
        ("could not be graded", [f"{s}: {why}" for s, why in summary.problems]),
        (
            "two submissions for one student (the later counts)",
            [f"{s}: {', '.join(src)}" for s, src in summary.duplicates],
        ),
        ("identical exercise files", [", ".join(group) for group in summary.identical]),
        (
            "graded by another mpgrade or other settings (not regraded: use --regrade)",
            [f"{s}: {', '.join(e)}" for s, e in summary.stale],
        ),
        ("checks that could not be judged", [f"{s} {e}/{c}: {why}" for s, e, c, why in summary.unjudged]),
        ("submissions matching no roster student", summary.unmatched),
        ("roster students without a submission", summary.missing),
        ("passed over at intake", summary.notes),
    ]
    for title, lines in sections:
        if lines:
            console.print(f"{title}:", highlight=False)
            for line in lines[:50]:
                console.print(f"  {line}", highlight=False, markup=False)
            if len(lines) > 50:
                console.print(f"  ... and {len(lines) - 50} more", highlight=False)


def gradebook(args: argparse.Namespace, console: Console) -> int:
    book = Gradebook(args.gradebook)
    try:
        if args.action == "show":
            return _show(book, args.student, console)
        if args.action == "report":
            return report_command.report(book, args, console)
        return _export(book, args, console)
    finally:
        book.close()


def _export(book: Gradebook, args: argparse.Namespace, console: Console) -> int:
    if args.csv is None and args.json is None:
        raise UsageError("say what to export: --csv OUT.csv, or --json OUT.json --student ID")
    if args.csv is not None:
        if args.format == "canvas":
            text = exports.canvas_csv(book, args.assignment)
        elif args.format == "moodle":
            text = exports.moodle_csv(book)
        else:
            text = exports.class_csv(book, with_checks=args.checks)
        write_atomically(args.csv, text)
        console.print(f"wrote {args.csv} ({text.count(chr(10)) - 1} row(s), {args.format} format)")
    if args.json is not None:
        if not args.student:
            raise UsageError("--json needs --student ID: whose report to write")
        report = exports.student_report(book, args.student)
        if report is None:
            raise UsageError(f"no graded submission of student {args.student!r} in {args.gradebook}")
        write_atomically(args.json, json.dumps(report, indent=2) + "\n")
        console.print(f"wrote {args.json}")
    return 0


def _show(book: Gradebook, student: str | None, console: Console) -> int:
    rows = exports.rows(book)
    if student is not None:
        row = next((r for r in rows if r.student == student), None)
        if row is None:
            raise UsageError(f"no student {student!r} in the gradebook")
        console.print(
            f"{row.student} {row.name}: {row.status}, total {exports._number(row.total) or '-'}/{row.max_total:g}",
            highlight=False,
        )
        if row.reason:
            console.print(f"  {row.reason}", highlight=False, markup=False)
        for name, status in sorted(row.checks.items()):
            console.print(f"  {name:45} {status}", highlight=False)
        counting = [s for s in book.submissions() if s.student == student]
        for submission in counting:
            for grading in book.gradings(submission.id):
                console.print(
                    f"  grading {grading['id']}: {time.strftime('%Y-%m-%d %H:%M', time.localtime(grading['ended_at']))}"
                    f", mpgrade {grading['tool_version']}, {grading['status']}, "
                    f"{', '.join(json.loads(grading['exercises'])) or 'no exercise'}",
                    highlight=False,
                )
        for change in exports.changes(book, student):
            console.print(
                f"  changed {change.exercise}/{change.check}: {change.before} -> {change.after} "
                f"(grading {change.earlier} -> {change.later})",
                highlight=False,
            )
        return 0
    table = Table(show_edge=False)
    for title in ("student", "name", "total", "status"):
        table.add_column(title)
    for row in rows:
        table.add_row(row.student, row.name, exports._number(row.total), row.status)
    console.print(table)
    graded = [r.total for r in rows if r.total is not None]
    if graded:
        console.print(f"{len(graded)} graded, mean {sum(graded) / len(graded):.1f}", highlight=False)
    return 0
