"""The two process observers (``--observer proc`` and ``psutil``) read the same facts and
make the same verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, SUBMISSIONS, assert_expected, run_cli

from grader.sandbox import subreaper
from grader.sandbox.isolation import Isolation, Limits, probe
from grader.sandbox.launcher import run
from grader.sandbox.observer import ProcSource, TreeObserver, exit_status_word, source_named
from grader.sandbox.psutil_source import PsutilSource
from grader.sandbox.results import Call, RunRequest

subreaper.become_subreaper()

TREE = """
import os, sys, time
def busy(seconds):
    begun = time.process_time()
    while time.process_time() - begun < seconds:
        pass
busy(0.2)
if os.fork() == 0:
    busy(0.1)
    if os.fork() == 0:
        time.sleep(60)
    time.sleep(60)
if os.fork() == 0:
    os._exit(7)
print('ready', flush=True)
sys.stdin.read()
"""


@pytest.fixture
def tree() -> subprocess.Popen[bytes]:
    """A parent that burnt 0.2 s, a child that burnt 0.1 s and then started a grandchild (so
    the four are there once it is done), and a zombie child that exited with 7."""
    parent = subprocess.Popen([sys.executable, "-c", TREE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert parent.stdout is not None and parent.stdout.readline() == b"ready\n"
    deadline = time.monotonic() + 10
    while len(ProcSource().tree(parent.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    yield parent
    for pid in ProcSource().tree(parent.pid)[1:]:
        subprocess.run(["kill", "-9", str(pid)], check=False)
    assert parent.stdin is not None
    parent.stdin.close()
    parent.wait(timeout=10)


def test_psutil_reads_what_proc_reads(tree: subprocess.Popen[bytes]) -> None:
    proc, other = ProcSource(), PsutilSource()
    pids = proc.tree(tree.pid)
    assert len(pids) == 4 and pids[0] == tree.pid
    assert sorted(other.tree(tree.pid)) == sorted(pids)
    order = other.tree(tree.pid)
    for pid in order[1:]:  # parents first
        parent = proc.stat(pid)
        assert parent is not None and order.index(parent.ppid) < order.index(pid)
    for pid in pids:
        mine, theirs = proc.stat(pid), other.stat(pid)
        assert mine is not None and theirs is not None
        assert (theirs.state, theirs.ppid) == (mine.state, mine.ppid), pid
        assert abs(theirs.cpu_ticks - mine.cpu_ticks) <= 2 and abs(theirs.child_ticks - mine.child_ticks) <= 2
        assert other.ns_pid(pid) == proc.ns_pid(pid) and other.session(pid) == proc.session(pid)
        if mine.state == "Z":
            assert theirs.exit_code == mine.exit_code
        else:
            assert other.cmdline(pid) == proc.cmdline(pid)
    zombie = next(pid for pid in pids if proc.stat(pid).state == "Z")  # type: ignore[union-attr]
    theirs = other.stat(zombie)
    assert theirs is not None and theirs.exit_code is not None and exit_status_word(theirs.exit_code) == 7
    assert other.stat(2**22 + 12345) is None and other.tree(2**22 + 12345) == [2**22 + 12345]


def test_both_observers_record_the_same_cpu(tree: subprocess.Popen[bytes]) -> None:
    totals = {}
    for name in ("proc", "psutil"):
        watcher = TreeObserver(tree.pid, source=source_named(name))
        watcher.sample()
        records = watcher.records()
        assert len(records) == 4
        totals[name] = sorted(round(r.cpu_s, 2) for r in records)
    assert totals["proc"] == pytest.approx(totals["psutil"], abs=0.03)
    assert totals["proc"][-1] >= 0.19 and totals["proc"][-2] >= 0.09


def test_an_unknown_observer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown observer 'dtrace'; choose from proc, psutil"):
        source_named("dtrace")
    code, _, _, err = run_cli("grade", "solutions", "--observer", "dtrace")
    assert code == 2 and "invalid choice: 'dtrace'" in err


MODULE = """
import os
from multiprocessing import Pool

def square(n):
    return n * n

def pool_squares(numbers):
    with Pool(2) as pool:
        return pool.map(square, numbers), [p.pid for p in pool._pool]
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("jailed", [False, True], ids=["plain", "jailed"])
def test_the_psutil_observer_sees_the_workers(tmp_path: Path, method: str, jailed: bool) -> None:
    (tmp_path / "ex99_sample.py").write_text(textwrap.dedent(MODULE))
    isolation = Isolation(Limits(), probe()) if jailed else None
    result = run(
        RunRequest(
            "ex99_sample",
            tmp_path,
            (Call("pool_squares", ([1, 2, 3],)),),
            start_method=method,
            isolation=isolation,
            observer="psutil",
        )
    )
    assert result.outcome == "returned", (result.outcome, result.stderr.text[-800:])
    values, pool_pids = result.value
    assert values == [1, 4, 9]
    assert set(pool_pids) <= {p.own_pid for p in result.workers()}
    assert result.main_own_pid not in pool_pids
    assert not result.left_running


@pytest.mark.slow
@pytest.mark.parametrize("name", ["forged", "decoys"])
def test_the_psutil_observer_fails_what_proc_fails(name: str, tmp_path: Path) -> None:
    folder = SUBMISSIONS / name
    expected = json.loads((folder / "expected.json").read_text())
    args = [arg for file in sorted(folder.glob("ex*.py")) for arg in ("-e", file.stem)]
    code, out, report, err = run_cli(
        "grade", str(folder.relative_to(ROOT)), *args, "--observer", "psutil", "--json", str(tmp_path / "r.json")
    )
    assert code == 1 and report is not None, out + err
    assert_expected(report, expected)


@pytest.mark.slow
def test_the_psutil_observer_gives_the_solutions_full_marks(tmp_path: Path) -> None:
    code, out, report, err = run_cli(
        "grade", "solutions", "-e", "ex01", "-e", "ex03", "-e", "ex06", "-e", "ex08",
        "--observer", "psutil", "--json", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert report is not None, out + err
    unjudged = [
        (e["id"], c["id"], c["message"]) for e in report["exercises"] for c in e["checks"] if c["status"] != "passed"
    ]
    # a speedup check may be skipped on a machine too busy to show parallelism, never failed
    assert all(status_reason[2] and "too busy" in status_reason[2] for status_reason in unjudged), unjudged
    assert all(c["status"] in ("passed", "skipped") for e in report["exercises"] for c in e["checks"]), unjudged


def test_the_observer_setting_is_read_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import cli
    from grader.errors import UsageError

    monkeypatch.chdir(tmp_path)
    parse = cli.build_parser().parse_args
    (tmp_path / "pyproject.toml").write_text('[tool.mpgrade]\nobserver = "psutil"\n')
    assert cli._settings(parse(["grade", "."])).observer == "psutil"
    assert cli._settings(parse(["grade", ".", "--observer", "proc"])).observer == "proc"
    (tmp_path / "pyproject.toml").write_text('[tool.mpgrade]\nobserver = "dtrace"\n')
    with pytest.raises(UsageError, match=r"observer in pyproject.toml \[tool.mpgrade\] must be one of proc, psutil"):
        cli._settings(parse(["grade", "."]))


class _LateNamespace(ProcSource):
    """/proc, except that a process's pid inside its namespace cannot be read the first time."""

    def __init__(self) -> None:
        self.asked: set[int] = set()

    def ns_pid(self, pid: int) -> int:
        if pid not in self.asked:
            self.asked.add(pid)
            return 0
        return super().ns_pid(pid)


def test_a_pid_inside_the_run_not_read_at_first_is_read_again(tree: subprocess.Popen[bytes]) -> None:
    announced: list[int] = []
    watcher = TreeObserver(tree.pid, jailed=True, on_new=announced.append, source=_LateNamespace())
    watcher.sample()
    assert announced == []  # nothing is marked seen under a pid the run would not know it by
    watcher.sample()
    alive = [r for r in watcher.records() if ProcSource().stat(r.pid).state != "Z"]  # type: ignore[union-attr]
    assert sorted(announced) == sorted(r.pid for r in alive)  # no namespace here: the same pids
    assert all(r.ns_pid == r.pid for r in alive)
