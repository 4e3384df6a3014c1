"""A batch: intake, then every submission that needs it graded into the gradebook.

The flow: read SUBMISSIONS (:mod:`grader.batch.intake`), match a roster, record what was
found, decide per counting submission which exercises to grade (never graded, or asked
for again), grade several submissions at once (each one a normal grading: preflight, a
pytest child whose scheduler shares the machine through the host-wide slots, speedup
measurements alone), commit each grading in one transaction, and at the end grade again,
one submission at a time, the exercises whose checks were skipped because the machine
was busy. Nothing a submission does stops the batch: a grading that fails is recorded
as an error with its reason.
"""

from __future__ import annotations

import csv
import json
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__, catalogue, tempdirs
from grader.batch import cluster, intake, remote
from grader.batch.gradebook import Gradebook, Submission
from grader.catalogue import Exercise
from grader.config import Settings
from grader.errors import GraderError, UsageError
from grader.grade import grade
from grader.reporters import json_report

ONE_CORE = "only one usable core"  # a skip no quieter machine can turn into a verdict


VERDICT_SETTINGS = ("start_methods", "timeout", "limits")


def settings_key(settings: Settings) -> str:
    """What a grading's verdicts depend on (not how many runs went at once)."""
    payload = remote.settings_payload(settings)
    return json.dumps({name: payload[name] for name in VERDICT_SETTINGS}, sort_keys=True)


@dataclass(frozen=True)
class Options:
    exercises: tuple[Exercise, ...]
    settings: Settings
    regrade: bool = False
    regrade_skipped: bool = False
    at_once: int = 2  # submissions graded at the same time
    roster: Path | None = None
    dask: str | None = None  # a Dask scheduler's address, or local:N
    tls: cluster.Tls = field(default_factory=cluster.Tls)


@dataclass
class Work:
    submission: Submission
    exercises: list[str]
    why: str  # "new", "regrade", "skipped", "retry"


@dataclass
class Summary:
    shape: str = ""
    found: int = 0
    graded: int = 0
    errors: int = 0
    unchanged: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (student, reason)
    duplicates: list[tuple[str, list[str]]] = field(default_factory=list)  # (student, sources)
    identical: list[list[str]] = field(default_factory=list)  # students with equal fingerprints
    stale: list[tuple[str, list[str]]] = field(default_factory=list)
    unjudged: list[tuple[str, str, str, str]] = field(default_factory=list)  # (student, exercise, check, why)
    unmatched: list[str] = field(default_factory=list)  # submissions matching no roster student
    missing: list[str] = field(default_factory=list)  # roster students without a submission
    notes: list[str] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)  # the Dask workers that graded, when --dask


def read_roster(path: Path) -> list[dict[str, str]]:
    """The roster CSV (``id``, ``name``, ``email``); UsageError naming what is wrong."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = {f.strip().lower() for f in reader.fieldnames or []}
            if "id" not in fields:
                raise UsageError(f"{path}: a roster needs an `id` column (and may have `name`, `email`)")
            rows = []
            seen: set[str] = set()
            for number, raw in enumerate(reader, start=2):
                row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                if not row.get("id"):
                    raise UsageError(f"{path}, line {number}: empty student id")
                if row["id"] in seen:
                    raise UsageError(f"{path}, line {number}: student id {row['id']!r} appears twice")
                seen.add(row["id"])
                rows.append(row)
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read the roster {path}: {error}") from error


def match_roster(found: list[intake.Found], roster: list[dict[str, str]], summary: Summary) -> None:
    """Key each submission by its roster id (matched by id or email); list who matches no one."""
    by_id = {row["id"]: row for row in roster}
    by_email = {row.get("email", "").lower(): row for row in roster if row.get("email")}
    for item in found:
        row = by_id.get(item.key) or by_email.get(item.key.lower()) or by_email.get(item.email.lower())
        if row is None:
            summary.unmatched.append(f"{item.key} ({item.source})")
            continue
        item.key, item.name = row["id"], row.get("name") or item.name
        item.email = row.get("email") or item.email
    submitted = {item.key for item in found}
    summary.missing = [row["id"] for row in roster if row["id"] not in submitted]


def plan(book: Gradebook, options: Options, summary: Summary) -> list[Work]:
    """Which exercises of which counting submissions to grade now."""
    wanted = [e.id for e in options.exercises]
    key = settings_key(options.settings)
    work = []
    for submission in book.submissions():
        if not submission.counts:
            continue
        if submission.problem is not None:
            if not book.gradings(submission.id):
                work.append(Work(submission, [], "problem"))
            continue
        results = book.results(submission.id)
        if options.regrade:
            work.append(Work(submission, wanted, "regrade"))
            continue
        todo = [e for e in wanted if e not in results]
        stale = [
            e for e in wanted if e in results and (results[e].tool_version != __version__ or results[e].settings != key)
        ]
        if stale:
            summary.stale.append((submission.student, stale))
        if options.regrade_skipped:
            todo += [e for e in wanted if e in results and e not in todo and _skipped(book, results[e].grading, e)]
        if todo:
            work.append(Work(submission, todo, "new" if not results else "regrade"))
        else:
            summary.unchanged += 1
    return work


def _skipped(book: Gradebook, grading: int, exercise: str, retryable_only: bool = False) -> bool:
    rows = book.checks(grading, exercise)
    return any(r["status"] == "skipped" and (not retryable_only or ONE_CORE not in r["message"]) for r in rows)


def grade_one(book: Gradebook, lock: threading.Lock, work: Work, settings: Settings) -> str:
    """Grade one submission's exercises and commit it; returns 'graded' or 'error'."""
    started = time.time()
    exercises = catalogue.resolve(work.exercises) if work.exercises else ()
    report: dict[str, Any] | None = None
    reason = work.submission.problem
    if reason is None:
        folder = tempdirs.make("batch")
        try:
            with lock:
                files = book.files(work.submission.id)
            for name, content in files.items():
                (folder / name).write_bytes(content)
            graded, _ = grade(folder, exercises, settings, work.submission.student)
            report = json_report.to_dict(graded)
        except GraderError as error:
            reason = f"the grader could not grade this submission: {error}"
        except Exception as error:  # noqa: BLE001 - one submission must not end the batch
            reason = f"internal error of the grader: {type(error).__name__}: {error}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return commit(book, lock, work, settings, started, report, reason)


def commit(
    book: Gradebook,
    lock: threading.Lock,
    work: Work,
    settings: Settings,
    started: float,
    report: dict[str, Any] | None,
    reason: str | None,
) -> str:
    """Record one grading (its report, or why there is none); returns 'graded' or 'error'."""
    environment = report["environment"] if report else {}
    with lock:
        book.record_grading(
            work.submission.id,
            __version__,
            settings_key(settings),
            environment,
            work.exercises,
            started,
            report,
            reason,
        )
    return "graded" if report is not None else "error"


def retry_busy(book: Gradebook, options: Options) -> list[Work]:
    """Counting submissions whose latest result of an exercise has a check skipped for want
    of a quiet machine: graded again, one at a time, at the end of the batch."""
    wanted = {e.id for e in options.exercises}
    work = []
    for submission in book.submissions():
        if not submission.counts or submission.problem is not None:
            continue
        results = book.results(submission.id)
        again = [e for e, r in results.items() if e in wanted and _skipped(book, r.grading, e, retryable_only=True)]
        if again:
            work.append(Work(submission, sorted(again), "retry"))
    return work


def unjudged(book: Gradebook) -> list[tuple[str, str, str, str]]:
    found = []
    for submission in book.submissions():
        if not submission.counts:
            continue
        for exercise, result in sorted(book.results(submission.id).items()):
            for row in book.checks(result.grading, exercise):
                if row["status"] == "skipped":
                    found.append((submission.student, exercise, row["check_id"], row["message"]))
    return found


# (work, outcome, done, total); outcome "started" when a grading begins (from its own thread),
# then "graded" or "error" when it is committed
Progress = Callable[[Work, str, int, int], None]


def run_batch(submissions: Path, book: Gradebook, options: Options, progress: Progress | None = None) -> Summary:
    summary = Summary()
    tempdirs.sweep_dead()  # what a batch killed before left behind
    staging = intake.staging_dir()
    try:
        found = intake.read(submissions, staging)
        summary.shape, summary.found, summary.notes = found.shape, len(found.submissions), found.notes
        if options.roster is not None:
            roster = read_roster(options.roster)
            book.record_roster(roster)
            match_roster(found.submissions, roster, summary)
        book.record_intake(str(submissions), found.shape, found.notes, found.submissions)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _describe_intake(book, summary)
    work = plan(book, options, summary)
    lock = threading.Lock()
    if options.dask is not None:
        with cluster.connect(options.dask, options.tls) as client:
            summary.workers = cluster.check_versions(client)
            _grade_on_cluster(book, lock, work, options.settings, client, summary, progress)
            for item in retry_busy(book, options):  # one at a time: nothing else of the batch runs meanwhile
                _grade_on_cluster(book, lock, [item], options.settings, client, summary, progress)
            client.run(tempdirs.sweep_dead)  # what gradings of killed workers left on every machine
    else:
        _grade_all(book, lock, work, options.settings, max(1, options.at_once), summary, progress)
        retries = retry_busy(book, options)
        _grade_all(book, lock, retries, options.settings, 1, summary, progress)
    summary.unjudged = unjudged(book)
    return summary


def _grade_on_cluster(
    book: Gradebook,
    lock: threading.Lock,
    work: list[Work],
    settings: Settings,
    client: Any,
    summary: Summary,
    progress: Progress | None,
) -> None:
    by_id = {item.submission.id: item for item in work}
    done = 0
    payload = remote.settings_payload(settings)
    tasks = []
    for item in work:
        if item.submission.problem is not None:
            outcome = commit(book, lock, item, settings, time.time(), None, item.submission.problem)
            _count(summary, outcome)
            continue
        try:
            task = cluster.task_of(book, lock, item.submission, item.exercises, payload)
        except cluster.TooLarge as error:
            _count(summary, commit(book, lock, item, settings, time.time(), None, str(error)))
            continue
        tasks.append((item.submission.id, task))

    def started(submission: int) -> None:
        if progress is not None:
            progress(by_id[submission], "started", done, len(work))

    def record(submission: int, report: dict[str, Any] | None, reason: str | None, begun: float) -> str:
        nonlocal done
        outcome = commit(book, lock, by_id[submission], settings, begun, report, reason)
        done += 1
        _count(summary, outcome)
        if progress is not None:
            progress(by_id[submission], outcome, done, len(work))
        return outcome

    cluster.run_tasks(client, tasks, record, started)


def _count(summary: Summary, outcome: str) -> None:
    summary.graded += outcome == "graded"
    summary.errors += outcome == "error"


def _grade_all(
    book: Gradebook,
    lock: threading.Lock,
    work: list[Work],
    settings: Settings,
    at_once: int,
    summary: Summary,
    progress: Progress | None,
) -> None:
    done = 0

    def start(item: Work) -> str:
        if progress is not None:
            progress(item, "started", done, len(work))
        return grade_one(book, lock, item, settings)

    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="mpgrade-batch") as pool:
        futures = {pool.submit(start, item): item for item in work}
        for future in as_completed(futures):
            item = futures[future]
            outcome = future.result()
            done += 1
            summary.graded += outcome == "graded"
            summary.errors += outcome == "error"
            if progress is not None:
                progress(item, outcome, done, len(work))


def _describe_intake(book: Gradebook, summary: Summary) -> None:
    submissions = book.submissions()
    by_student: dict[str, list[Submission]] = {}
    for submission in submissions:
        by_student.setdefault(submission.student, []).append(submission)
    for student, items in sorted(by_student.items()):
        sources = sorted({s.source for s in items})
        if len(sources) > 1:
            summary.duplicates.append((student, sources))
        for item in items:
            if item.counts and item.problem is not None:
                summary.problems.append((student, item.problem))
    by_fingerprint: dict[str, set[str]] = {}
    for submission in submissions:
        if submission.counts and submission.fingerprint:
            by_fingerprint.setdefault(submission.fingerprint, set()).add(submission.student)
    summary.identical = [sorted(students) for students in by_fingerprint.values() if len(students) > 1]
