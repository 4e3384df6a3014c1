"""Shared fixtures: running the real CLI, and a leak check after every test."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"

# Every sandbox of this test session keeps its scratch files under this directory, whose
# path the sandbox's processes carry in their environment: the leak check looks for it,
# so that other gradings running on the same machine are not mistaken for leaks.
SESSION_TMP = tempfile.mkdtemp(prefix="mpgrade-tests-")
os.chmod(SESSION_TMP, 0o755)
os.environ["TMPDIR"] = SESSION_TMP
os.environ["MPGRADE_TAG"] = SESSION_TMP  # passed on into every sandbox: how the leak check knows ours
tempfile.tempdir = None


def sandbox_pids() -> set[int]:
    """Processes on the machine that belong to a sandbox of this test session.

    A process started as a fresh interpreter carries the sandbox's configuration in the
    environment it started with; a process of a warm run (forked by the launcher, and all
    it forks) carries the launcher's, with the session's tag, and lives in the run's PID
    namespace, not in ours."""
    marker, ours = SESSION_TMP.encode(), os.readlink("/proc/self/ns/pid")
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            if marker not in environ:
                continue
            if b"MPGRADE_SANDBOX=" in environ or (
                b"MPGRADE_TAG=" in environ and os.readlink(f"/proc/{entry}/ns/pid") != ours
            ):
                found.add(int(entry))
        except OSError:
            continue
    return found


def shm_entries() -> set[str]:
    try:
        return set(os.listdir("/dev/shm"))
    except OSError:
        return set()


def _sandbox_uid() -> int | None:
    import pwd

    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return None


def left_files() -> set[str]:
    """What sandboxes of this session may have left: scratch directories of runs in the
    session's temporary directory, and anything the sandbox user owns in /tmp, /var/tmp
    or /dev/shm (no other program of this machine runs as that user)."""
    found = {f"{SESSION_TMP}/{name}" for name in os.listdir(SESSION_TMP) if name.startswith("mpgrade-run-")}
    uid = _sandbox_uid()
    for place in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(place))
        except OSError:
            continue
        for entry in entries:
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if uid is not None and owner == uid and os.getuid() != uid:
                found.add(entry.path)
    return found


@pytest.fixture(autouse=True, scope="session")
def nothing_left_after_the_session() -> Iterator[None]:
    """After the whole suite: no stray sandbox process, no new /dev/shm entry, no file left."""
    shm_before, files_before = shm_entries(), left_files()
    yield
    time.sleep(0.5)
    leftovers = left_files() - files_before
    shutil.rmtree(SESSION_TMP, ignore_errors=True)
    assert not leftovers, f"files left after the suite: {sorted(leftovers)}"
    assert not sandbox_pids(), f"sandbox processes left running after the suite: {sorted(sandbox_pids())}"
    assert not shm_entries() - shm_before, f"/dev/shm entries left after the suite: {shm_entries() - shm_before}"


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """After each test no sandbox process, no new /dev/shm entry and no file of a run may remain."""
    shm_before, files_before = shm_entries(), left_files()
    yield
    deadline = time.monotonic() + 3.0
    while (sandbox_pids() or shm_entries() - shm_before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sandbox_pids(), f"sandbox processes left running: {sorted(sandbox_pids())}"
    assert not shm_entries() - shm_before, f"/dev/shm entries left behind: {sorted(shm_entries() - shm_before)}"
    assert not left_files() - files_before, f"files of a run left behind: {sorted(left_files() - files_before)}"


def run_cli(
    *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> tuple[int, str, dict[str, Any] | None, str]:
    """Run ``python -m grader`` in a subprocess; returns (exit code, stdout, JSON report, stderr)."""
    report = None
    argv = list(args)
    json_path: Path | None = None
    if "--json" in argv:
        json_path = Path(argv[argv.index("--json") + 1])
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    environment.update({"NO_COLOR": "1", "COLUMNS": "120", **(env or {})})
    done = subprocess.run(
        [sys.executable, "-m", "grader", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env=environment,
        check=False,
    )
    if json_path is not None and json_path.exists():
        report = json.loads(json_path.read_text())
    return done.returncode, done.stdout, report, done.stderr


def checks_by_id(report: dict[str, Any], exercise: str) -> dict[str, dict[str, Any]]:
    entry = next(e for e in report["exercises"] if e["id"] == exercise)
    return {check["id"]: check for check in entry["checks"]}


def assert_expected(report: dict[str, Any], expected: dict[str, Any]) -> None:
    """The report agrees with a flawed submission's ``expected.json`` (see tests/submissions)."""
    for exercise, wanted in expected.items():
        if exercise.startswith("_"):  # e.g. "_start_methods": where the faults show
            continue
        checks = checks_by_id(report, exercise)
        for check in wanted.get("passed", []):
            assert checks[check]["status"] == "passed", (exercise, check, checks[check]["message"])
        for check in wanted.get("not_passed", []):
            assert checks[check]["status"] in ("failed", "error"), (exercise, check, checks[check])
        for check in wanted.get("error", []):
            assert checks[check]["status"] == "error", (exercise, check, checks[check])
        for check in wanted.get("never_passed", []):  # failed, or skipped on a machine too busy to judge
            assert checks[check]["status"] != "passed", (exercise, check, checks[check])
        for check, fragments in wanted.get("message_contains", {}).items():
            for fragment in fragments:
                assert fragment in checks[check]["message"], (exercise, check, fragment)


def gradings_committed(book: Path) -> int:
    """Gradings committed to a gradebook so far, read while a batch may be writing it (0 until
    the file is a gradebook)."""
    try:
        with sqlite3.connect(f"file:{book}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM gradings").fetchone()[0])
    except sqlite3.Error:
        return 0
