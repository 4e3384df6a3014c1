"""Grading a batch on a Dask cluster: the client sends tasks, checks results, commits them.

Each submission is one task (its files travel with it, capped in size), annotated with
the resource ``grading=1``: every worker advertises one grading slot per thread, so a
worker never grades two submissions at once, and the engine's own host-wide slots keep
the speedup measurements of one machine alone whatever its number of workers. A result
comes back as data and is checked (the tool version, the fingerprint of the files that
were sent, the report's shape) before the client commits it, one transaction each: only
the client writes the gradebook. A worker killed mid-grading has its task retried on
another worker by Dask; a submission that kills every worker it lands on ends, after
Dask's allowed failures, as an error with that reason.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__
from grader.batch import remote
from grader.batch.gradebook import Gradebook, Submission
from grader.errors import UsageError

RESOURCE = "grading"


@dataclass(frozen=True)
class Tls:
    ca_file: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    @property
    def given(self) -> bool:
        return any((self.ca_file, self.cert, self.key))


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as error:
        raise UsageError("--dask needs the dask extra: pip install 'mpgrade[dask]'") from error
    return distributed


def _security(tls: Tls) -> Any:
    distributed = _distributed()
    missing = [
        name
        for name, path in (("--tls-ca-file", tls.ca_file), ("--tls-cert", tls.cert), ("--tls-key", tls.key))
        if path is None
    ]
    if missing:
        raise UsageError(f"a tls:// scheduler needs {', '.join(missing)} too")
    for path in (tls.ca_file, tls.cert, tls.key):
        if path is not None and not path.is_file():
            raise UsageError(f"{path} does not exist (a TLS certificate or key file)")
    return distributed.Security(
        tls_ca_file=str(tls.ca_file),
        tls_client_cert=str(tls.cert),
        tls_client_key=str(tls.key),
        require_encryption=True,
    )


@contextlib.contextmanager
def connect(address: str, tls: Tls = Tls()) -> Iterator[Any]:
    """A client of the cluster at ``address`` (``tcp://``, ``tls://``, or ``local:N``: a cluster of
    N single-threaded worker processes on this machine, started and stopped here)."""
    distributed = _distributed()
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise UsageError(f"--dask {address}: give local:N with N workers, e.g. local:2")
        cluster = distributed.LocalCluster(
            n_workers=int(count),
            threads_per_worker=1,
            processes=True,
            resources={RESOURCE: 1},
            dashboard_address=None,
            preload=["grader.batch.remote"],
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    if not address.startswith(("tcp://", "tls://")):
        raise UsageError(f"--dask {address}: give tcp://HOST:PORT, tls://HOST:PORT or local:N")
    if address.startswith("tcp://") and tls.given:
        raise UsageError("TLS files were given for a tcp:// scheduler: use its tls:// address")
    security = _security(tls) if address.startswith("tls://") else None
    try:
        client = distributed.Client(address, security=security, timeout=30)
    except (OSError, TimeoutError) as error:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {error}") from error
    with client:
        yield client


def check_versions(client: Any) -> list[str]:
    """Every worker's identity; UsageError if one runs another mpgrade."""
    found = client.run(remote.identity)
    if not found:
        raise UsageError("the Dask cluster has no worker: start some with `mpgrade worker ADDRESS`")
    skewed = [
        f"{address} runs mpgrade {who['version']}" for address, who in found.items() if who["version"] != __version__
    ]
    if skewed:
        raise UsageError(
            f"this batch runs mpgrade {__version__}, but {'; '.join(skewed)}: install the same version everywhere"
        )
    return sorted(found)


class TooLarge(Exception):
    """A submission whose files may not travel in a task."""


def task_of(
    book: Gradebook,
    lock: threading.Lock,
    submission: Submission,
    exercises: list[str],
    settings_payload: dict[str, Any],
) -> dict[str, Any]:
    """A submission's task: its files (capped), what to grade and how, and its fingerprint,
    which the result must carry back."""
    with lock:
        files = book.files(submission.id)
    size = sum(len(content) for content in files.values())
    if size > remote.MAX_FILES_BYTES:
        raise TooLarge(
            f"the submission's files are {size >> 10} KiB, over the {remote.MAX_FILES_BYTES >> 20} MiB a cluster task "
            "may carry: grade it without --dask"
        )
    return {
        "version": __version__,
        "files": files,
        "exercises": exercises,
        "settings": settings_payload,
        "student": submission.student,
        "fingerprint": submission.fingerprint,
    }


def checked(result: Any, task: dict[str, Any]) -> dict[str, Any]:
    """The report of a task's result, if it is one for the files that were sent; else ValueError."""
    if not isinstance(result, dict) or not isinstance(result.get("report"), dict):
        raise ValueError("the worker's result is not a report")
    if result.get("version") != __version__:
        raise ValueError(f"the worker runs mpgrade {result.get('version')}, not {__version__}")
    if result.get("fingerprint") != task["fingerprint"]:
        raise ValueError("the worker graded other files than the ones sent")
    report = result["report"]
    wanted = set(task["exercises"])
    graded = {str(e.get("id")) for e in report.get("exercises", []) if isinstance(e, dict)}
    if report.get("schema_version") != 1 or graded != wanted:
        raise ValueError(f"the report covers {sorted(graded)}, not {sorted(wanted)}")
    return dict(report)


def failure_words(error: BaseException) -> str:
    distributed = _distributed()
    if isinstance(error, distributed.KilledWorker):
        return "it ended every Dask worker it ran on (Dask's allowed failures): the submission kills its grader"
    if isinstance(error, remote.VersionSkew):
        return str(error)
    return f"the worker could not grade this submission: {type(error).__name__}: {error}"


# (submission id, task) -> committed outcome "graded"/"error"; given by the batch
Commit = Callable[[int, dict[str, Any] | None, str | None, float], str]


def run_tasks(
    client: Any,
    tasks: list[tuple[int, dict[str, Any]]],
    commit: Commit,
    started: Callable[[int], None],
    function: Callable[[dict[str, Any]], dict[str, Any]] = remote.grade_task,
) -> None:
    """Submit every task, commit each result as it comes (in the order they end)."""
    distributed = _distributed()
    futures = {}
    begun = time.time()
    for submission, task in tasks:
        key = f"mpgrade-{submission}-{time.time_ns()}"
        future = client.submit(function, task, resources={RESOURCE: 1}, pure=False, key=key)
        futures[future] = (submission, task)
        started(submission)
    for future in distributed.as_completed(futures):
        submission, task = futures[future]
        try:
            report = checked(future.result(), task)
        except Exception as error:  # noqa: BLE001 - one submission's failure must not end the batch
            commit(submission, None, failure_words(error), begun)
            continue
        commit(submission, report, None, begun)
