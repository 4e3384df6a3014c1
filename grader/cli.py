"""The ``mpgrade`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from grader import __version__, catalogue
from grader.environment import START_METHODS, available_start_methods, default_start_method
from grader.errors import GraderError, UsageError
from grader.grade import grade
from grader.reporters import json_report, terminal
from grader.reporters.files import write_atomically

EXIT_PASSED, EXIT_FAILED, EXIT_FAULT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mpgrade",
        description="Grade multiprocessing exercises: run them in sandboxes, observe the processes "
        "from outside, and score each check.",
    )
    parser.add_argument("--version", action="version", version=f"mpgrade {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade_cmd = commands.add_parser(
        "grade",
        help="grade a submission directory",
        description="Grade the exercises found in PATH. Exit status: 0 every graded exercise passed, "
        "1 any failed or errored, 2 usage error or a fault of the grader.",
    )
    grade_cmd.add_argument(
        "path", nargs="?", default="exercises", help="directory holding exNN_topic.py files (default: exercises)"
    )
    grade_cmd.add_argument(
        "-e",
        "--exercise",
        action="append",
        default=[],
        metavar="ID",
        help="grade only this exercise (id or prefix such as ex03); repeatable",
    )
    grade_cmd.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report to FILE")
    grade_cmd.add_argument(
        "--start-method",
        default=None,
        choices=[*START_METHODS, "all"],
        help=f"start method for the submission's processes (default: {default_start_method()}, "
        "which catches fork-only code; 'all' runs every check under each)",
    )
    grade_cmd.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds one run of the submission may take unless a check sets its own (default 30)",
    )
    grade_cmd.add_argument("-v", "--verbose", action="store_true", help="also show each check's figures")
    grade_cmd.add_argument("-q", "--quiet", action="store_true", help="print only the total")
    commands.add_parser("list", help="list the exercises and their points")
    return parser


def _start_methods(choice: str | None) -> tuple[str, ...]:
    available = available_start_methods()
    if choice is None:
        return (default_start_method(),)
    if choice == "all":
        return available
    if choice not in available:
        raise UsageError(
            f"start method {choice!r} is not available on this platform; choose from {', '.join(available)}"
        )
    return (choice,)


def _grade(args: argparse.Namespace, console: Console) -> int:
    directory = Path(args.path)
    if not directory.is_dir():
        raise UsageError(f"{args.path} is not a directory: give the folder that holds your exNN_*.py files")
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")
    exercises = catalogue.resolve(args.exercise)
    report, rows = grade(directory, exercises, _start_methods(args.start_method), args.timeout, args.path)
    if args.json:
        write_atomically(args.json, json_report.render(report))
    terminal.render(report, console, verbose=args.verbose, quiet=args.quiet)
    faults = [row for row in rows if row.grader_fault]
    if faults:
        console.print(f"[bold red]mpgrade fault:[/] {faults[0].exercise}/{faults[0].check}: {faults[0].message}")
        return EXIT_FAULT
    return EXIT_PASSED if report.all_passed else EXIT_FAILED


def _list(console: Console) -> int:
    for exercise in catalogue.EXERCISES:
        console.print(f"{exercise.id:24} {exercise.points:>4g}  {exercise.title}")
    return EXIT_PASSED


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    try:
        if args.command == "grade":
            return _grade(args, console)
        return _list(console)
    except GraderError as error:
        Console(stderr=True, highlight=False).print(f"[bold red]mpgrade:[/] {error}")
        return EXIT_FAULT


if __name__ == "__main__":
    sys.exit(main())
