"""What a cluster's worker runs for one submission: the same grading as ``mpgrade grade``.

A task carries everything it needs (the submission's files, the exercises, the settings
that decide verdicts) and returns data: the JSON report, the fingerprint of the exercise
files it graded, the versions. The worker never sees the gradebook nor a shared file system. Its
machine's own isolation layers are probed where it runs; the host-wide slots and the
machine-alone lock of :mod:`grader.sandbox.machine` hold across every grading process of
that machine, so speedup measurements there still have the machine alone.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import asdict
from functools import lru_cache
from typing import Any

from grader import __version__, catalogue, tempdirs
from grader.batch import intake
from grader.config import Settings
from grader.errors import GraderError
from grader.grade import grade
from grader.reporters import json_report
from grader.sandbox.isolation import Isolation, Limits, probe

MAX_FILES_BYTES = 4 << 20  # a submission's files in one task, all together


class VersionSkew(GraderError):
    """The worker runs another mpgrade than the client."""


def settings_payload(settings: Settings) -> dict[str, Any]:
    return {
        "start_methods": list(settings.start_methods),
        "timeout": settings.timeout,
        "limits": asdict(settings.isolation.limits),
        "jobs": settings.jobs,
        "root_layers": settings.root_layers,
        "observer": settings.observer,
    }


@lru_cache(maxsize=4)
def _isolation(limits: tuple[tuple[str, int], ...], root_layers: bool) -> Isolation:
    chosen = Limits(**dict(limits))
    return Isolation(chosen, probe(root_layers, chosen))


def settings_here(payload: dict[str, Any]) -> Settings:
    """The client's settings with this machine's isolation layers."""
    isolation = _isolation(tuple(sorted(payload["limits"].items())), bool(payload["root_layers"]))
    return Settings(
        tuple(payload["start_methods"]),
        float(payload["timeout"]),
        isolation,
        int(payload["jobs"]),
        bool(payload["root_layers"]),
        str(payload.get("observer", "proc")),
    )


def identity() -> dict[str, Any]:
    """Who this worker is: its mpgrade version, host and process."""
    return {"version": __version__, "host": socket.gethostname(), "pid": os.getpid()}


def grade_task(task: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission's files; the result is data for the client to check and commit."""
    if task["version"] != __version__:
        raise VersionSkew(
            f"this worker ({socket.gethostname()}) runs mpgrade {__version__}, the batch runs {task['version']}: "
            "install the same mpgrade on every worker and the client"
        )
    tempdirs.sweep_dead()  # what a killed worker of this machine left (its task may be this one, retried)
    files: dict[str, bytes] = task["files"]
    folder = tempdirs.make("batch")
    try:
        for name, content in files.items():
            (folder / os.path.basename(name)).write_bytes(content)
        exercises = catalogue.resolve(task["exercises"])
        graded, _ = grade(folder, exercises, settings_here(task["settings"]), task["student"])
        return {"report": json_report.to_dict(graded), "fingerprint": intake.fingerprint(files), **identity()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def dask_setup(worker: object) -> None:
    """Preload of ``mpgrade worker`` (``dask worker --preload grader.batch.remote``): clear what
    gradings of a killed worker on this machine left in the temporary directory."""
    tempdirs.sweep_dead()
