"""The ``mpgrade`` command."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from grader import __version__, catalogue, export, nbgrader_course, notebooks, tempdirs
from grader.batch import commands as batch_commands
from grader.config import POSITIVE_INT, Settings, default_jobs, limits_from, read_pyproject
from grader.environment import START_METHODS, available_start_methods, default_start_method
from grader.errors import GraderError, UsageError
from grader.grade import grade
from grader.model import GradeReport
from grader.report import command as report_command
from grader.reporters import github, gradescope, json_report, junit, terminal
from grader.reporters.files import write_atomically
from grader.sandbox.isolation import Isolation, probe
from grader.sandbox.observer import OBSERVERS

EXIT_PASSED, EXIT_FAILED, EXIT_FAULT = 0, 1, 2
DEFAULT_TIMEOUT_S = 60.0


def _add_grade_options(grade_cmd: argparse.ArgumentParser) -> None:
    grade_cmd.add_argument(
        "path",
        nargs="?",
        default="exercises",
        help="folder holding exNN_topic.py files or notebooks with %%%%writefile cells, or one .ipynb "
        "(default: exercises)",
    )
    grade_cmd.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report to FILE")
    grade_cmd.add_argument("--gradescope", type=Path, metavar="FILE", help="write Gradescope's results.json to FILE")
    grade_cmd.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report to FILE")
    grade_cmd.add_argument(
        "--html",
        type=Path,
        metavar="DIR",
        help="write your results page (every check, with the timelines of your processes) to DIR/index.html",
    )
    grade_cmd.add_argument(
        "--github",
        action="store_true",
        help="GitHub Actions output: step summary and annotations (on by itself when GITHUB_ACTIONS=true)",
    )
    grade_cmd.add_argument("-v", "--verbose", action="store_true", help="also show each check's figures")
    grade_cmd.add_argument("-q", "--quiet", action="store_true", help="print only the total")
    add_settings_options(grade_cmd)


def add_settings_options(command: argparse.ArgumentParser) -> None:
    """What a grading depends on: the exercises, start method, timeout, runs at once, limits."""
    command.add_argument(
        "-e",
        "--exercise",
        action="append",
        default=[],
        metavar="ID",
        help="grade only this exercise (id or prefix such as ex03); repeatable",
    )
    command.add_argument(
        "--start-method",
        default=None,
        choices=[*START_METHODS, "all"],
        help=f"start method for the submission's processes (default: {default_start_method()}, "
        "which catches fork-only code; 'all' runs every check under each)",
    )
    command.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help=f"seconds one run may take unless a check sets its own (default {DEFAULT_TIMEOUT_S:g})",
    )
    command.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="sandbox runs to make at once (default 6 with two usable cores or more, else 1); the speedup "
        "measurements and ex09's stressed word count always take the machine alone, across every grading "
        "on this machine",
    )
    command.add_argument(
        "--observer",
        default=None,
        choices=OBSERVERS,
        help="where the grader reads the runs' processes from outside: proc (default: Linux's /proc, read "
        "directly) or psutil (the same facts through psutil, which lists every process of the machine for each "
        "look, about 20 times the CPU, so it looks less often; on Linux it reads /proc for what psutil does "
        "not tell: a process's pid in the run's namespace, a zombie's exit status, the system call it sleeps in)",
    )
    limits = command.add_argument_group(
        "sandbox limits",
        "Defaults below, or [tool.mpgrade] in ./pyproject.toml (same names with underscores); the command line wins.",
    )
    limits.add_argument("--max-processes", type=int, metavar="N", help="processes one run may have at once (256)")
    limits.add_argument("--max-memory-mb", type=int, metavar="MB", help="memory of one run, all processes (2048)")
    limits.add_argument("--cpu-seconds", type=int, metavar="S", help="CPU seconds each process may use (120)")
    limits.add_argument("--max-file-mb", type=int, metavar="MB", help="largest file a run may write (64)")
    limits.add_argument("--max-open-files", type=int, metavar="N", help="open files per process (256)")
    limits.add_argument(
        "--max-disk-mb",
        type=int,
        metavar="MB",
        help="all that one run may write: its private /tmp, /var/tmp and work directory, a tmpfs counted "
        "as memory too (512)",
    )
    limits.add_argument(
        "--no-root-layers",
        action="store_true",
        help="do not use the layers that need root (cgroup, unprivileged user), as on a laptop",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mpgrade",
        description="Grade multiprocessing exercises: run them in sandboxes, observe the "
        "processes from outside, and score each check.",
    )
    parser.add_argument("--version", action="version", version=f"mpgrade {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_grade_options(
        commands.add_parser(
            "grade",
            help="grade a submission directory",
            description="Grade the exercises found in PATH. Exit status: 0 every graded exercise passed, "
            "1 any failed or errored, 2 usage error or a fault of the grader.",
        )
    )
    commands.add_parser("list", help="list the exercises and their points")
    batch_commands.add_parsers(commands, add_settings_options)
    export = commands.add_parser("export", help="files for course infrastructure").add_subparsers(
        dest="target", required=True
    )
    zip_cmd = export.add_parser(
        "gradescope",
        help="the Gradescope autograder zip",
        description="Write a Gradescope autograder zip: setup.sh, run_autograder and "
        "mpgrade itself. It grades /autograder/submission into /autograder/results/results.json.",
    )
    zip_cmd.add_argument("out", type=Path, metavar="OUT.zip")
    zip_cmd.add_argument(
        "-e", "--exercise", action="append", default=[], metavar="ID", help="grade only these exercises (default: all)"
    )
    flow = export.add_parser(
        "github-workflow",
        help="a GitHub Actions workflow for a course repository",
        description="Write DIR/.github/workflows/grade.yml: install mpgrade, grade, publish the "
        "summary, upload the JSON report and the student's results page, fail below a score.",
    )
    flow.add_argument("dir", type=Path, metavar="DIR")
    flow.add_argument(
        "--install",
        default="mpgrade[report]",
        help="what pip installs (default: mpgrade[report]; the report extra draws the results page)",
    )
    flow.add_argument("--path", default="exercises", help="the folder to grade (default: exercises)")
    flow.add_argument("--min-score", type=float, default=0.0, help="fail the job below this score (default 0)")
    course = export.add_parser(
        "nbgrader",
        help="the exercises as an nbgrader course",
        description="Write an nbgrader course into COURSE_DIR: nbgrader_config.py (unless there is one) and "
        "source/ASSIGNMENT/, one notebook per exercise: the lesson, the code in a %%writefile cell with the "
        "reference solution in nbgrader's solution regions, a demo, and locked test cells (one per check kind, "
        "with mpgrade's points) that grade the notebook with mpgrade in its sandbox. Then run "
        "`nbgrader generate_assignment ASSIGNMENT` in COURSE_DIR. Needs no nbgrader installed.",
    )
    course.add_argument("course", type=Path, metavar="COURSE_DIR")
    course.add_argument(
        "-e", "--exercise", action="append", default=[], metavar="ID", help="only these exercises (default: all)"
    )
    course.add_argument("--assignment", default="mpgrade", help="the assignment's name (default: mpgrade)")
    course.add_argument(
        "--kit", type=Path, default=None, metavar="DIR", help="the kit (exercises/, solutions/) to export from"
    )
    return parser


def _start_methods(choice: str | None) -> tuple[str, ...]:
    available = available_start_methods()
    if choice is None:
        return (default_start_method(),)
    if choice == "all":
        return available
    if choice not in available:
        raise UsageError(f"start method {choice!r} is not available here; choose from {', '.join(available)} or all")
    return (choice,)


def _settings(args: argparse.Namespace) -> Settings:
    """Defaults, overridden by ./pyproject.toml [tool.mpgrade], overridden by the command line."""
    table = read_pyproject(Path("pyproject.toml"))
    in_file = "in pyproject.toml [tool.mpgrade]"
    values: dict[str, tuple[object, str]] = {key: (value, in_file) for key, value in table.items()}
    for name in POSITIVE_INT:
        given = getattr(args, name)
        if given is not None:
            values[name] = (given, f"from --{name.replace('_', '-')}")
    limits = limits_from(values)
    timeout = args.timeout if args.timeout is not None else table.get("timeout", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        source = "--timeout" if args.timeout is not None else f"timeout {in_file}"
        raise UsageError(f"{source} must be a positive number of seconds, got {timeout!r}")
    method = args.start_method or table.get("start_method")
    root_layers = not args.no_root_layers and bool(table.get("root_layers", True))
    jobs = args.jobs if args.jobs is not None else table.get("jobs", default_jobs())
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs <= 0:
        source = "--jobs" if args.jobs is not None else f"jobs {in_file}"
        raise UsageError(f"{source} must be a positive whole number, got {jobs!r}")
    observer = args.observer or table.get("observer", "proc")
    if observer not in OBSERVERS:
        source = "--observer" if args.observer else f"observer {in_file}"
        raise UsageError(f"{source} must be one of {', '.join(OBSERVERS)}, got {observer!r}")
    isolation = Isolation(limits, probe(root_layers, limits))
    return Settings(_start_methods(method), float(timeout), isolation, jobs, root_layers, observer)


@contextlib.contextmanager
def _submission_folder(path: Path, console: Console) -> Iterator[Path]:
    """The folder to grade: ``path`` itself, or the files its notebooks write."""
    if not path.is_dir() and not (path.is_file() and path.suffix == ".ipynb"):
        what = "is neither a folder nor a notebook" if path.exists() else "does not exist"
        raise UsageError(
            f"{path} {what}: give the folder that holds your exNN_*.py files (or .ipynb notebooks), or one .ipynb file"
        )
    gathered = notebooks.read(path)
    if gathered is None:
        yield path
        return
    folder = tempdirs.make("notebook")
    try:
        for name, content in gathered.files.items():
            (folder / name).write_bytes(content)
        for note in gathered.notes:
            console.print(f"note: {note}", markup=False)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _grade(args: argparse.Namespace, console: Console) -> int:
    with _submission_folder(Path(args.path), console) as directory:
        return _grade_folder(directory, args, console)


def _grade_folder(directory: Path, args: argparse.Namespace, console: Console) -> int:
    exercises = catalogue.resolve(args.exercise)
    try:
        report, rows = grade(directory, exercises, _settings(args), args.path)
    except GraderError as error:
        if args.gradescope:
            write_atomically(args.gradescope, gradescope.render(gradescope.failure(str(error))))
        raise
    if args.json:
        write_atomically(args.json, json_report.render(report))
    if args.gradescope:
        write_atomically(args.gradescope, gradescope.render(gradescope.to_dict(report)))
    if args.junit:
        write_atomically(args.junit, junit.render(report))
    terminal.render(report, console, verbose=args.verbose, quiet=args.quiet)
    if args.html:
        page = report_command.student_page(report, args.html)
        console.print(f"wrote {args.html / 'index.html'} ({page.class_page_bytes / 1e6:.1f} MB with its assets)")
    if args.github or os.environ.get("GITHUB_ACTIONS") == "true":
        _github(report)
    faults = [row for row in rows if row.grader_fault]
    if faults:
        console.print(f"[bold red]mpgrade fault:[/] {faults[0].exercise}/{faults[0].check}: {faults[0].message}")
        return EXIT_FAULT
    return EXIT_PASSED if report.all_passed else EXIT_FAILED


def _github(report: GradeReport) -> None:
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as stream:
                stream.write(github.summary(report))
        except OSError as error:
            raise UsageError(f"cannot append to GITHUB_STEP_SUMMARY={summary_path}: {error.strerror}") from error
    for line in github.error_annotations(report):
        print(line, flush=True)


def _export(args: argparse.Namespace, console: Console) -> int:
    if args.target == "nbgrader":
        written = nbgrader_course.export_course(
            args.course, catalogue.resolve(args.exercise), args.assignment, args.kit or nbgrader_course.KIT
        )
        console.print(
            f"wrote {len(written.notebooks)} notebook(s) into {args.course / 'source' / args.assignment}"
            + ("" if written.config_written else " (kept the existing nbgrader_config.py)")
            + f"; next, in {args.course}: nbgrader generate_assignment {args.assignment}"
        )
        return EXIT_PASSED
    if args.target == "gradescope":
        ids = [e.id for e in catalogue.resolve(args.exercise)] if args.exercise else []
        names = export.gradescope_zip(args.out, ids)
        console.print(f"wrote {args.out} ({len(names)} files): upload it as the autograder of the assignment")
    else:
        target = export.github_workflow(args.dir, args.install, args.path, args.min_score)
        console.print(f"wrote {target}")
    return EXIT_PASSED


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
        if args.command == "export":
            return _export(args, console)
        if args.command == "batch":
            return batch_commands.batch(args, _settings(args), console)
        if args.command == "gradebook":
            return batch_commands.gradebook(args, console)
        if args.command == "worker":
            return batch_commands.worker(args)
        return _list(console)
    except GraderError as error:
        Console(stderr=True, highlight=False).print(f"[bold red]mpgrade:[/] {error}")
        return EXIT_FAULT


if __name__ == "__main__":
    sys.exit(main())
