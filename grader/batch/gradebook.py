"""The gradebook: a class's submissions and every grading of them, in one SQLite file.

Standard library ``sqlite3`` in WAL mode; the schema has a version (``PRAGMA
user_version``) and migrations from every older one. Each grading is committed in one
transaction with its exercise and check rows and the full JSON report, so a batch killed
at any moment leaves whole gradings or none. One batch at a time: a ``flock`` on
``FILE.db.lock``, which dies with its holder, so a resume after ``kill -9`` is never refused.
The submission's files are stored too: a regrade needs nothing but the gradebook.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.batch.intake import Found
from grader.errors import UsageError

SCHEMA_VERSION = 2
APPLICATION_ID = 0x6D706772  # "mpgr": marks a file as an mpgrade gradebook

SCHEMA_V1 = """
CREATE TABLE students (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    on_roster INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL REFERENCES students(id),
    shape TEXT NOT NULL,
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    collected_at REAL NOT NULL,
    order_key TEXT NOT NULL,
    late INTEGER,
    problem TEXT,
    intake INTEGER NOT NULL,
    UNIQUE (student, source, fingerprint, problem)
);
CREATE TABLE files (
    submission INTEGER NOT NULL REFERENCES submissions(id),
    name TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (submission, name)
);
CREATE TABLE intakes (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    source TEXT NOT NULL,
    shape TEXT NOT NULL,
    notes TEXT NOT NULL
);
CREATE TABLE gradings (
    id INTEGER PRIMARY KEY,
    submission INTEGER NOT NULL REFERENCES submissions(id),
    tool_version TEXT NOT NULL,
    settings TEXT NOT NULL,
    environment TEXT NOT NULL,
    exercises TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    score REAL,
    max_score REAL,
    report TEXT
);
CREATE TABLE exercise_results (
    grading INTEGER NOT NULL REFERENCES gradings(id),
    exercise TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    error TEXT,
    PRIMARY KEY (grading, exercise)
);
CREATE TABLE check_results (
    grading INTEGER NOT NULL REFERENCES gradings(id),
    exercise TEXT NOT NULL,
    check_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (grading, exercise, check_id)
);
CREATE INDEX gradings_by_submission ON gradings (submission, id);
"""

SCHEMA_V2 = """
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings (name, value) VALUES ('pseudonym_key', lower(hex(randomblob(32))));
"""

MIGRATIONS: dict[int, str] = {1: SCHEMA_V1, 2: SCHEMA_V2}  # version -> what takes the one before it there


class GradebookError(UsageError):
    """The file is not a usable gradebook, or another batch holds it."""


@dataclass(frozen=True)
class Submission:
    id: int
    student: str
    shape: str
    source: str
    fingerprint: str
    collected_at: float
    late: bool | None
    problem: str | None
    counts: bool  # the latest submission of its student


@dataclass(frozen=True)
class ExerciseResult:
    grading: int
    exercise: str
    status: str
    score: float
    max_score: float
    tool_version: str
    settings: str


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


class Gradebook:
    """An open gradebook; ``lock()`` before writing gradings into it."""

    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = path
        if not path.exists() and not create:
            raise GradebookError(f"{path} does not exist: make it with `mpgrade batch SUBMISSIONS --gradebook {path}`")
        if path.exists():
            _check_header(path)
        self.db = _connect(path)
        self._lock_fd: int | None = None
        try:
            self._migrate()
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise GradebookError(f"{path} is not an mpgrade gradebook ({error})") from error

    # --- opening -------------------------------------------------------------------

    def _migrate(self) -> None:
        application, version = (
            self.db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("application_id", "user_version")
        )
        tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application != APPLICATION_ID and (tables or version):
            raise GradebookError(f"{self.path} is an SQLite database but not an mpgrade gradebook")
        if version > SCHEMA_VERSION:
            raise GradebookError(
                f"{self.path} was written by a newer mpgrade (gradebook schema {version}; this one reads up to "
                f"{SCHEMA_VERSION}): upgrade mpgrade"
            )
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                _script(self.db, MIGRATIONS[target])
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {target}")

    def lock(self) -> None:
        """Hold the gradebook for one batch; GradebookError if another batch holds it."""
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise GradebookError(
                f"another batch (pid {holder}) is grading into {self.path}: wait for it to end, "
                "or grade into another gradebook"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def close(self) -> None:
        self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- intake --------------------------------------------------------------------

    def record_intake(self, source: str, shape: str, notes: list[str], found: list[Found]) -> list[int]:
        """Record what an intake found (students, submissions, their files); returns the ids
        of the submissions, new or already known (an unchanged submission is the same row)."""
        ids = []
        with self.transaction() as db:
            intake = db.execute(
                "INSERT INTO intakes (at, source, shape, notes) VALUES (?, ?, ?, ?)",
                (time.time(), source, shape, json.dumps(notes)),
            ).lastrowid
            for item in found:
                db.execute(
                    "INSERT INTO students (id, name, email) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "name = CASE WHEN excluded.name != '' AND students.on_roster = 0 THEN excluded.name "
                    "ELSE students.name END, "
                    "email = CASE WHEN students.email = '' THEN excluded.email ELSE students.email END",
                    (item.key, item.name, item.email),
                )
                fingerprint = item.fingerprint if item.problem is None else ""
                row = db.execute(
                    "SELECT id FROM submissions WHERE student = ? AND source = ? AND fingerprint = ? AND problem IS ?",
                    (item.key, item.source, fingerprint, item.problem),
                ).fetchone()
                if row is not None:
                    ids.append(int(row[0]))
                    continue
                submission = db.execute(
                    "INSERT INTO submissions (student, shape, source, fingerprint, collected_at, order_key, late, "
                    "problem, intake) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.key,
                        item.shape,
                        item.source,
                        fingerprint,
                        item.collected_at,
                        json.dumps([*item.order, item.collected_at]),
                        None if item.late is None else int(item.late),
                        item.problem,
                        intake,
                    ),
                ).lastrowid
                assert submission is not None
                db.executemany(
                    "INSERT INTO files (submission, name, content) VALUES (?, ?, ?)",
                    [(submission, name, content) for name, content in sorted(item.files.items())],
                )
                ids.append(submission)
        return ids

    def record_roster(self, rows: list[dict[str, str]]) -> None:
        with self.transaction() as db:
            for row in rows:
                db.execute(
                    "INSERT INTO students (id, name, email, on_roster) VALUES (?, ?, ?, 1) ON CONFLICT (id) DO "
                    "UPDATE SET name = excluded.name, email = excluded.email, on_roster = 1",
                    (row["id"], row.get("name", ""), row.get("email", "")),
                )

    # --- reading -------------------------------------------------------------------

    def submissions(self) -> list[Submission]:
        rows = self.db.execute("SELECT * FROM submissions ORDER BY student, id").fetchall()
        latest: dict[str, tuple[Any, int]] = {}
        for row in rows:
            order = (json.loads(row["order_key"]), row["id"])
            if row["student"] not in latest or order > latest[row["student"]]:
                latest[row["student"]] = order
        return [
            Submission(
                row["id"],
                row["student"],
                row["shape"],
                row["source"],
                row["fingerprint"],
                row["collected_at"],
                None if row["late"] is None else bool(row["late"]),
                row["problem"],
                latest[row["student"]][1] == row["id"],
            )
            for row in rows
        ]

    def files(self, submission: int) -> dict[str, bytes]:
        rows = self.db.execute("SELECT name, content FROM files WHERE submission = ?", (submission,))
        return {row["name"]: bytes(row["content"]) for row in rows}

    def results(self, submission: int) -> dict[str, ExerciseResult]:
        """The counting result of each exercise of a submission: from its latest grading."""
        rows = self.db.execute(
            "SELECT e.*, g.tool_version, g.settings FROM exercise_results e JOIN gradings g ON g.id = e.grading "
            "WHERE g.submission = ? AND g.status = 'graded' ORDER BY g.id",
            (submission,),
        ).fetchall()
        found: dict[str, ExerciseResult] = {}
        for row in rows:
            found[row["exercise"]] = ExerciseResult(
                row["grading"],
                row["exercise"],
                row["status"],
                row["score"],
                row["max_score"],
                row["tool_version"],
                row["settings"],
            )
        return found

    def checks(self, grading: int, exercise: str | None = None) -> list[sqlite3.Row]:
        query = "SELECT * FROM check_results WHERE grading = ?" + (" AND exercise = ?" if exercise else "")
        return self.db.execute(query, (grading, exercise) if exercise else (grading,)).fetchall()

    def gradings(self, submission: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM gradings WHERE submission = ? ORDER BY id", (submission,)).fetchall()

    def pseudonym_key(self) -> bytes:
        """This gradebook's secret for stable pseudonyms (made with the gradebook)."""
        row = self.db.execute("SELECT value FROM settings WHERE name = 'pseudonym_key'").fetchone()
        return bytes.fromhex(row["value"])

    def students(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM students ORDER BY id").fetchall()

    # --- writing a grading -----------------------------------------------------------

    def record_grading(
        self,
        submission: int,
        tool_version: str,
        settings: str,
        environment: dict[str, Any],
        exercises: list[str],
        started_at: float,
        report: dict[str, Any] | None,
        reason: str | None = None,
    ) -> int:
        """One grading, all of it or nothing (one transaction)."""
        with self.transaction() as db:
            grading = db.execute(
                "INSERT INTO gradings (submission, tool_version, settings, environment, exercises, started_at, "
                "ended_at, status, reason, score, max_score, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    submission,
                    tool_version,
                    settings,
                    json.dumps(environment),
                    json.dumps(exercises),
                    started_at,
                    time.time(),
                    "graded" if report is not None else "error",
                    reason,
                    report["score"] if report else None,
                    report["max_score"] if report else None,
                    json.dumps(report) if report else None,
                ),
            ).lastrowid
            assert grading is not None
            for exercise in (report or {}).get("exercises", []):
                db.execute(
                    "INSERT INTO exercise_results VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        grading,
                        exercise["id"],
                        exercise["status"],
                        exercise["score"],
                        exercise["max_score"],
                        exercise.get("error"),
                    ),
                )
                db.executemany(
                    "INSERT INTO check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            grading,
                            exercise["id"],
                            check["id"],
                            check["kind"],
                            check["status"],
                            check["score"],
                            check["max_score"],
                            check["message"],
                            json.dumps(check.get("data", {})),
                        )
                        for check in exercise["checks"]
                    ],
                )
        return grading

    def integrity(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])


def _script(db: sqlite3.Connection, script: str) -> None:
    """Statements one by one inside the caller's transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _check_header(path: Path) -> None:
    """Refuse, by name, a file that is not an SQLite database at all."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError as error:
        raise GradebookError(f"cannot read {path}: {error.strerror}") from error
    if header and header != b"SQLite format 3\x00":
        raise GradebookError(f"{path} is not an mpgrade gradebook (not an SQLite database)")
