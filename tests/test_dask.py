"""Batch grading on a real Dask cluster: a scheduler and two `mpgrade worker` processes.

A small class is graded with ``mpgrade batch --dask tcp://127.0.0.1:PORT``. In one test a
worker process is killed with SIGKILL while it is seen grading (its nanny starts it
again); in another a worker is killed together with its nanny. Either way every student
is graded exactly once, with the verdicts of a single ``mpgrade grade``, and no sandbox
process is left. Without a cluster: results that do not match the task are refused, and
a worker with another mpgrade is refused by name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import ROOT, checks_by_id, gradings_committed, run_cli, sandbox_pids

from grader import __version__
from grader.batch import cluster, intake, remote
from grader.errors import UsageError

distributed = pytest.importorskip("distributed", reason="Dask is not installed: pip install -e '.[dask]'")

EXERCISE = "ex08_array"
CLASS = {  # student -> the folder their ex08 comes from
    "ann": "solutions",
    "bea": "exercises",
    "cal": "tests/submissions/decoy_shared",
    "dov": "solutions",
    "eli": "tests/submissions/uneven_chunks",
    "fen": "solutions",
}


def _make_class(root: Path) -> Path:
    folder = root / "class"
    for student, source in CLASS.items():
        (folder / student).mkdir(parents=True)
        shutil.copy(ROOT / source / f"{EXERCISE}.py", folder / student / f"{EXERCISE}.py")
    return folder


class Cluster:
    """A scheduler and two workers, each its own process group, on 127.0.0.1."""

    def __init__(self, root: Path, tls: list[str] | None = None, workers: int = 2) -> None:
        self.root = root
        self.groups: list[subprocess.Popen[bytes]] = []
        scheduler_file = root / "scheduler.json"
        command = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0"]
        command += ["--no-dashboard", "--scheduler-file", str(scheduler_file)]
        self.scheduler = self._start([*command, *(["--protocol", "tls", *tls] if tls else [])], "scheduler")
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        self.workers = [
            self._start(
                [sys.executable, "-m", "grader", "worker", self.address, "--name", f"w{i}", *(tls or [])], f"worker{i}"
            )
            for i in range(1, workers + 1)
        ]
        security = None
        if tls:
            security = distributed.Security(
                tls_ca_file=tls[1], tls_client_cert=tls[3], tls_client_key=tls[5], require_encryption=True
            )
        with distributed.Client(self.address, timeout=30, security=security) as client:
            client.wait_for_workers(workers, timeout=60)

    def _start(self, command: list[str], name: str) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.groups.append(process)
        return process

    def worker_processes(self) -> dict[int, int]:
        """The worker process (the nanny's child) of each nanny, by the nanny's pid."""
        found = {}
        for nanny in self.workers:
            children = [c for c in psutil.Process(nanny.pid).children() if "spawn_main" in " ".join(c.cmdline())]
            if children:
                found[nanny.pid] = children[0].pid
        return found

    def close(self) -> None:
        for process in reversed(self.groups):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.groups:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[Cluster]:
    started = Cluster(tmp_path)
    try:
        yield started
    finally:
        started.close()


def _grading_in(pid: int) -> bool:
    """Whether a sandbox runs below process ``pid``."""
    for sandbox in sandbox_pids():
        try:
            if pid in {p.pid for p in psutil.Process(sandbox).parents()}:
                return True
        except psutil.NoSuchProcess:
            continue
    return False


def _running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def _batch(folder: Path, book: Path, address: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "grader", "batch", str(folder), "--gradebook", str(book), "-e", EXERCISE]
    return subprocess.Popen(
        [*command, "--dask", address], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _kill_while_grading(cluster_: Cluster, with_nanny: bool) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for nanny, worker in cluster_.worker_processes().items():
            if _grading_in(worker):
                tree = [p.pid for p in psutil.Process(worker).children(recursive=True)]
                os.kill(worker, signal.SIGKILL)
                if with_nanny:
                    os.kill(nanny, signal.SIGKILL)
                return {"nanny": nanny, "worker": worker, "tree": tree}
        time.sleep(0.02)
    raise AssertionError("no worker was seen grading")


def _reference() -> dict[str, dict[str, dict[str, Any]]]:
    found = {}
    for source in sorted(set(CLASS.values())):
        out = ROOT / "build" / "dask-reference.json"
        out.parent.mkdir(exist_ok=True)
        code, stdout, report, err = run_cli("grade", str(ROOT / source), "-e", EXERCISE, "--json", str(out))
        assert report is not None, stdout + err
        found[source] = checks_by_id(report, EXERCISE)
    return found


def _assert_graded_once_with_single_verdicts(book: Path) -> None:
    with sqlite3.connect(book) as db:
        rows = db.execute(
            "SELECT s.student, g.status, g.report FROM gradings g JOIN submissions s ON s.id = g.submission"
        ).fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(r[0] for r in rows) == sorted(CLASS), rows  # each student exactly once
    reference = _reference()
    for student, status, report in rows:
        assert status == "graded", (student, status)
        mine = checks_by_id(json.loads(report), EXERCISE)
        single = reference[CLASS[student]]
        for check, outcome in mine.items():
            if "skipped" not in (outcome["status"], single[check]["status"]):
                assert outcome["status"] == single[check]["status"], (student, check, outcome["message"])


@pytest.mark.slow
@pytest.mark.parametrize("with_nanny", [False, True], ids=["worker", "worker-and-nanny"])
def test_a_worker_killed_mid_grading_loses_nothing(dask_cluster: Cluster, tmp_path: Path, with_nanny: bool) -> None:
    folder, book = _make_class(tmp_path), tmp_path / "class.db"
    batch = _batch(folder, book, dask_cluster.address)
    killed = _kill_while_grading(dask_cluster, with_nanny)
    out, _ = batch.communicate(timeout=600)
    assert batch.returncode == 0, out
    assert not _running([killed["worker"]]) and len(killed["tree"]) >= 2  # it was grading: pytest, a sandbox
    _assert_graded_once_with_single_verdicts(book)
    gone_by = time.monotonic() + 20
    while _running(killed["tree"]) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert not _running(killed["tree"]), "a process of the killed worker's grading is still running"
    if not with_nanny:  # the nanny started a new worker process
        assert dask_cluster.worker_processes().get(killed["nanny"]) not in (None, killed["worker"])


def test_results_that_do_not_match_their_task_are_refused() -> None:
    files = {"ex08_array.py": b"x = 1\n"}
    task = {"fingerprint": intake.fingerprint(files), "exercises": [EXERCISE]}
    report = {"schema_version": 1, "exercises": [{"id": EXERCISE}]}
    good = {"report": report, "version": __version__, "fingerprint": task["fingerprint"]}
    assert cluster.checked(good, task) == report
    for bad, words in (
        ({**good, "fingerprint": "0" * 64}, "other files"),
        ({**good, "version": "0.0.1"}, "runs mpgrade 0.0.1"),
        ({**good, "report": {**report, "exercises": []}}, "covers"),
        ("not a dict", "not a report"),
    ):
        with pytest.raises(ValueError, match=words):
            cluster.checked(bad, task)


class _Client:
    def __init__(self, versions: dict[str, str]) -> None:
        self.versions = versions

    def run(self, function: Any) -> dict[str, dict[str, str]]:
        return {address: {"version": version} for address, version in self.versions.items()}


def test_a_worker_with_another_mpgrade_is_refused_by_name() -> None:
    assert cluster.check_versions(_Client({"tcp://a:1": __version__})) == ["tcp://a:1"]
    with pytest.raises(UsageError, match="tcp://b:2 runs mpgrade 9.9"):
        cluster.check_versions(_Client({"tcp://a:1": __version__, "tcp://b:2": "9.9"}))
    with pytest.raises(UsageError, match="no worker"):
        cluster.check_versions(_Client({}))
    with pytest.raises(remote.VersionSkew, match="install the same mpgrade"):
        remote.grade_task({"version": "9.9"})


def test_dask_usage_errors_say_what_to_give(tmp_path: Path) -> None:
    for address, words in (("local:0", "local:N"), ("http://x", "tcp://HOST:PORT"), ("tls://127.0.0.1:1", "--tls")):
        code, out, _, err = run_cli("batch", str(tmp_path), "--gradebook", str(tmp_path / "b.db"), "--dask", address)
        assert code == 2 and words in " ".join(err.split()), (address, out + err)


def _certificates(root: Path) -> list[str]:
    """A CA and one certificate it signed for 127.0.0.1, as --tls-* options."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=root, check=True, capture_output=True)

    subject = ["-days", "2", "-subj"]
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", *subject, "/CN=ca")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", "/CN=127.0.0.1")
    (root / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "req.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    return [
        "--tls-ca-file",
        str(root / "ca.pem"),
        "--tls-cert",
        str(root / "cert.pem"),
        "--tls-key",
        str(root / "key.pem"),
    ]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl to make test certificates")
def test_a_tls_scheduler_grades_and_refuses_plain_clients(tmp_path: Path) -> None:
    tls = _certificates(tmp_path)
    secured = Cluster(tmp_path, tls, workers=1)
    try:
        folder, book = tmp_path / "class", tmp_path / "class.db"
        for student in ("ann", "bea"):
            (folder / student).mkdir(parents=True)
            shutil.copy(ROOT / "solutions" / f"{EXERCISE}.py", folder / student)
        command = ["batch", str(folder), "--gradebook", str(book), "-e", EXERCISE, "--dask"]
        code, out, _, err = run_cli(*command, secured.address, *tls)
        assert code == 0 and "graded 2, errors 0" in " ".join(out.split()), out + err
        code, out, _, err = run_cli(*command, secured.address, "--tls-ca-file", tls[1])
        assert code == 2 and "needs --tls-cert, --tls-key too" in " ".join(err.split()), out + err
    finally:
        secured.close()


def _ends_its_worker(task: dict[str, Any]) -> dict[str, Any]:
    os._exit(1)


@pytest.mark.slow
def test_a_submission_that_ends_every_worker_is_recorded_with_that_reason() -> None:
    import dask

    committed: list[tuple[int, dict[str, Any] | None, str | None]] = []

    def commit(submission: int, report: dict[str, Any] | None, reason: str | None, began: float) -> str:
        committed.append((submission, report, reason))
        return "error"

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), cluster.connect("local:1") as client:
        task = {"fingerprint": "x", "exercises": [EXERCISE]}
        cluster.run_tasks(client, [(7, task)], commit, lambda submission: None, _ends_its_worker)
    assert len(committed) == 1 and committed[0][:2] == (7, None)
    assert "ended every Dask worker it ran on" in (committed[0][2] or "")


@pytest.mark.slow
def test_a_client_killed_mid_batch_leaves_nothing_and_resumes(tmp_path: Path) -> None:
    folder, book = _make_class(tmp_path), tmp_path / "class.db"
    client = _batch(folder, book, "local:2")
    deadline = time.monotonic() + 300
    while gradings_committed(book) < 1 and client.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    tree = [p.pid for p in psutil.Process(client.pid).children(recursive=True)]
    client.kill()
    client.communicate()
    gone_by = time.monotonic() + 30
    while _running(tree) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert tree and not _running(tree), "a process of the killed client's cluster is still running"
    resumed = _batch(folder, book, "local:2")
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out
    _assert_graded_once_with_single_verdicts(book)
