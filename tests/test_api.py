"""API checks: what the sandbox records, which calls count, and the source fallback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.checks.api import CONTEXT, ApiRule, calls_in_source
from grader.sandbox.launcher import run
from grader.sandbox.results import ApiEvent, Call, RunRequest

MODULE = """
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def work(n):
    return n


class Worker(mp.Process):
    def run(self):
        pass


def own_processes():
    workers = [Worker(), mp.get_context().Process(target=work, args=(1,))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def pool_only():
    with mp.Pool(2) as pool:
        return pool.map(work, [1, 2, 3])


def executor_map_only():
    with ProcessPoolExecutor(2) as executor:
        return list(executor.map(work, [1, 2]))


def made_queues_and_pipes():
    q, jq = mp.Queue(), mp.JoinableQueue()
    a, b = mp.Pipe(duplex=False)
    arr = mp.Array("q", 3)
    return 1


def manager_by_hand():
    from multiprocessing.managers import SyncManager

    manager = SyncManager()
    manager.start()
    manager.shutdown()
"""


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api")
    (folder / "ex99_api.py").write_text(textwrap.dedent(MODULE))
    return folder


def events(module: Path, name: str) -> list[ApiEvent]:
    result = run(RunRequest("ex99_api", module, (Call(name),), start_method="forkserver"))
    assert result.outcome == "returned", (result.outcome, result.error, result.stderr.text[-500:])
    assert result.api_recorded
    return list(result.api)


def test_processes_started_by_the_submission_are_direct(module: Path) -> None:
    started = [e for e in events(module, "own_processes") if e.api == "Process.start"]
    assert len(started) == 2 and all(e.direct for e in started)
    assert {e.detail for e in started} == {"Worker", "ForkServerProcess"}
    assert all(e.file == "ex99_api.py" for e in started)


def test_library_internals_are_not_direct_calls(module: Path) -> None:
    pool = events(module, "pool_only")
    assert [e.api for e in pool if e.direct] == ["Pool.map"]
    assert {e.entry for e in pool if e.api == "Process.start"} == {CONTEXT + "Pool"}
    executor = events(module, "executor_map_only")
    assert [e.api for e in executor if e.direct] == ["ProcessPoolExecutor.map"]
    assert all(not e.direct for e in executor if e.api == "ProcessPoolExecutor.submit")


def test_constructors_through_the_context(module: Path) -> None:
    found = {(e.api, e.entry) for e in events(module, "made_queues_and_pipes")}
    assert ("Queue", CONTEXT + "Queue") in found
    assert ("JoinableQueue", CONTEXT + "JoinableQueue") in found
    assert ("Pipe", CONTEXT + "Pipe") in found
    assert ("Array", CONTEXT + "Array") in found


def test_explicit_manager_start(module: Path) -> None:
    assert any(e.api == "BaseManager.start" and e.direct for e in events(module, "manager_by_hand"))


def test_rule_counts_direct_calls_and_listed_entries() -> None:
    rule = ApiRule(frozenset({"Queue"}), "created a Queue", entries=frozenset({CONTEXT + "Queue"}))
    by_context = ApiEvent("Queue", CONTEXT + "Queue", "", "ex05.py", 3, 1)
    by_executor = ApiEvent("Queue", "concurrent/futures/process.py:__init__", "", "ex05.py", 3, 1)
    assert rule.counts(by_context) and rule.counts(ApiEvent("Queue", "Queue", "", "ex05.py", 3, 1))
    assert not rule.counts(by_executor)


def test_forged_or_garbled_records_are_passed_over() -> None:
    text = '{"api": "Pool.map", "entry": "Pool.map", "file": "a.py", "line": 2, "pid": 5}\nnot json\n{"api": 1}\n'
    assert [e.api for e in ApiEvent.parse_lines(text)] == ["Pool.map"]


def test_source_fallback_resolves_names() -> None:
    source = textwrap.dedent("""
        import multiprocessing as mp
        from multiprocessing.managers import SyncManager as SM
        from concurrent.futures import ProcessPoolExecutor as PPE

        ctx = mp.get_context("spawn")

        class W(ctx.Process):
            pass

        def f():
            w = W()
            w.start()
            with PPE() as ex:
                ex.submit(print)
            pool = ctx.Pool(2)
            pool.starmap(print, [])
            m = SM()
            m.start()
    """)
    calls = calls_in_source(source)
    assert {
        "multiprocessing.Process.start",
        "concurrent.futures.ProcessPoolExecutor.submit",
        "multiprocessing.Pool.starmap",
        "multiprocessing.SyncManager.start",
    } <= calls


def test_source_fallback_ignores_imports_and_comments() -> None:
    source = "from multiprocessing import Pool  # Pool.map\n\ndef f():\n    raise NotImplementedError\n"
    assert calls_in_source(source) == set()
