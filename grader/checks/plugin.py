"""The pytest plugin behind the checks: options, the ``check`` marker, fixtures, metadata.

Loaded with ``-p grader.checks.plugin`` by :mod:`grader.suite`. Each check is a test
marked ``@pytest.mark.check(id, kind, points)``; its outcome, message and evidence are
attached to the pytest-json-report entry as ``metadata["mpgrade"]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from grader.catalogue import BY_ID
from grader.checks import schedule, timeline
from grader.checks.support import CheckFailed, Submission, SubmissionError, runs_in, watching_runs
from grader.model import Kind
from grader.sandbox import subreaper, warm
from grader.sandbox.isolation import Isolation, boot_copy
from grader.sandbox.results import RunResult

EVIDENCE = pytest.StashKey[dict[str, Any]]()
RUNS = pytest.StashKey[list[RunResult]]()
GRADER_NICE = -5
SUBMISSIONS = pytest.StashKey[dict[tuple[str, str], Submission]]()
SCHEDULER = pytest.StashKey[schedule.Scheduler]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mpgrade")
    group.addoption("--mpgrade-submission", required=True, help="directory holding the submission's files")
    group.addoption("--mpgrade-start-methods", default="forkserver", help="comma-separated start methods")
    group.addoption("--mpgrade-timeout", type=float, default=30.0, help="default seconds for one run")
    group.addoption("--mpgrade-isolation", default="", help="the sandbox's layers and limits (JSON)")
    group.addoption("--mpgrade-jobs", type=int, default=1, help="sandbox runs at once")
    group.addoption("--mpgrade-observer", default="proc", help="the process observer's source (proc, psutil)")
    group.addoption(
        "--mpgrade-go-fd",
        type=int,
        default=None,
        help="after collecting, read from this descriptor the exercise ids to check (a JSON list); skip the rest",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(id, kind, points): a graded check")
    subreaper.become_subreaper()
    grader = os.environ.get("MPGRADE_GRADER_PID", "")
    if grader.isdigit():  # the check suite dies with the grading that started it
        subreaper.die_with_parent(int(grader))
    if os.geteuid() == 0:
        # The observer threads sample the runs every 10 ms: ahead of the submissions' processes
        # (which the jail puts back to the ordinary priority) and of other load, so that a
        # loaded machine does not leave a child's work unseen.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, GRADER_NICE)
        weigh_session(GRADER_NICE)
    isolation_json = config.getoption("--mpgrade-isolation")
    if isolation_json:
        layers = Isolation.from_json(isolation_json).layers
        if layers.pidns and warm.enabled():  # the warm launcher starts while pytest collects
            threading.Thread(target=warm.launcher, args=(layers.python, boot_copy()), daemon=True).start()


def weigh_session(nice: int) -> None:
    """Give this process's session the weight of ``nice`` against other sessions.

    With the kernel's autogroups (Linux, ``kernel.sched_autogroup_enabled``) each session is
    scheduled as one group and a process's own nice value counts only inside it; every
    sandbox run is a session of its own, so without this a grading's runs would get as much
    of the CPU as the check suite each, and the observer's samples would space out under a
    batch's load. Only for a session this process leads (the grader starts the suite so):
    never the caller's terminal or CI job."""
    if os.getsid(0) != os.getpid():
        return
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as handle:
        handle.write(str(nice))


def _wait_for_go(fd: int) -> set[str]:
    """The exercises the grader lets through its preflight (an empty set if it went away)."""
    data = b""
    with contextlib.suppress(OSError):
        while not data.endswith(b"\n"):
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        os.close(fd)
    try:
        return set(json.loads(data or b"[]"))
    except ValueError:
        return set()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    go = config.getoption("--mpgrade-go-fd")
    if go is not None:
        wanted = _wait_for_go(go)
        kept = [i for i in items if isinstance(i, pytest.Function) and i.module.EXERCISE in wanted]
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
    for item in items:
        marker = item.get_closest_marker("check")
        if marker is None or len(marker.args) != 3:
            raise pytest.UsageError(f"{item.nodeid}: every check needs @pytest.mark.check(id, kind, points)")
        Kind(marker.args[1])  # a kind outside the contract's list is a fault of the check file


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "start_method" in metafunc.fixturenames:
        methods = metafunc.config.getoption("--mpgrade-start-methods").split(",")
        metafunc.parametrize("start_method", methods, scope="module")


def _new_submission(config: pytest.Config, exercise_id: str, start_method: str) -> Submission:
    directory = Path(config.getoption("--mpgrade-submission"))
    isolation_json = config.getoption("--mpgrade-isolation")
    isolation = Isolation.from_json(isolation_json) if isolation_json else None
    timeout = config.getoption("--mpgrade-timeout")
    observer = config.getoption("--mpgrade-observer")
    return Submission(BY_ID[exercise_id], directory, start_method, timeout, isolation, observer)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every selected module's runs, for every start method, handed to the scheduler now:
    the checks then find them made or in progress (see ``grader.checks.schedule``)."""
    config = session.config
    methods = config.getoption("--mpgrade-start-methods").split(",")
    modules = list(dict.fromkeys(item.module for item in session.items if isinstance(item, pytest.Function)))
    submissions = config.stash[SUBMISSIONS] = {}
    plan: list[schedule.Planned] = []
    for module in modules:
        for method in methods:
            submission = submissions[(module.EXERCISE, method)] = _new_submission(config, module.EXERCISE, method)
            plan.extend((submission, run) for run in getattr(module, "PREFETCH", ()))
    config.stash[SCHEDULER] = schedule.Scheduler(config.getoption("--mpgrade-jobs"), plan)


def pytest_unconfigure(config: pytest.Config) -> None:
    scheduler = config.stash.get(SCHEDULER, None)
    if scheduler is not None:
        scheduler.close()


@pytest.fixture(scope="module")
def submission(request: pytest.FixtureRequest, start_method: str) -> Submission:
    known = request.config.stash.get(SUBMISSIONS, {})
    found = known.get((request.module.EXERCISE, start_method))
    return found if found is not None else _new_submission(request.config, request.module.EXERCISE, start_method)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A dict the check fills with figures worth showing even when it passes."""
    data: dict[str, Any] = {}
    request.node.stash[EVIDENCE] = data
    return data


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    with watching_runs() as runs:
        item.stash[RUNS] = runs
        return (yield)


def _timeline(item: pytest.Item, kind: str) -> dict[str, Any]:
    """The timeline of the last run the check was handed (see :mod:`grader.checks.timeline`)."""
    if kind not in timeline.KINDS:
        return {}
    runs: list[RunResult] = item.stash.get(RUNS, [])
    if not runs:  # the run came in a fixture (a module's measurement)
        runs = [run for value in getattr(item, "funcargs", {}).values() for run in runs_in(value)]
    for result in reversed(runs):
        drawn = timeline.of(result)
        if drawn is not None:
            return {"timeline": drawn}
    return {}


def _classify(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException] | None) -> dict[str, Any]:
    recorded: dict[str, Any] | None = item.stash.get(EVIDENCE, None)
    marker = item.get_closest_marker("check")
    data: dict[str, Any] = {**(recorded or {}), **_timeline(item, marker.args[1] if marker else "")}
    if excinfo is None:
        return {"status": "passed", "message": "", "data": data}
    error = excinfo.value
    if isinstance(error, CheckFailed):
        return {"status": "failed", "message": error.message, "data": {**data, **error.data}}
    if isinstance(error, SubmissionError):
        return {"status": "error", "message": error.message, "data": {**data, **error.data}}
    if excinfo.errisinstance(pytest.skip.Exception):
        return {"status": "skipped", "message": str(getattr(error, "msg", error)), "data": data}
    if isinstance(error, AssertionError):
        return {"status": "failed", "message": str(error), "data": data}
    return {
        "status": "error",
        "message": f"internal error of the check: {type(error).__name__}: {error}",
        "data": data,
        "grader_fault": True,
    }


@pytest.hookimpl(optionalhook=True)
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo[None]) -> dict[str, Any]:
    if call.when == "teardown" or (call.when == "setup" and call.excinfo is None):
        return {}
    marker = item.get_closest_marker("check")
    assert marker is not None
    check_id, kind, points = marker.args
    params = getattr(item, "callspec", None)
    start_method = params.params.get("start_method") if params else None
    return {
        "mpgrade": {
            "exercise": item.module.EXERCISE if isinstance(item, pytest.Function) else "",
            "check": check_id,
            "kind": kind,
            "points": float(points),
            "start_method": start_method,
            **_classify(item, call.excinfo),
        }
    }
