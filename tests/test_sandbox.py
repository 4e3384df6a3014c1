"""The sandbox from the parent side: what one run of student code reports, and that it ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.sandbox import subreaper
from grader.sandbox.launcher import BOOT_DIR, run, run_all
from grader.sandbox.results import Call, RunRequest, RunResult

subreaper.become_subreaper()

MODULE = """
import os, sys, time, signal
from multiprocessing import Pool, Process

def square(n):
    return n * n

def pool_squares(numbers):
    with Pool(2) as pool:
        return [(v, os.getpid()) for v in pool.map(square, numbers)], [p.pid for p in pool._pool]

def boom(n):
    helper = {}
    return helper["missing"] + n

def sleepy(seconds):
    time.sleep(seconds)
    return "woke"

def naps(count, seconds):
    for _ in range(count):
        time.sleep(seconds)
    return "rested"

def quit_hard():
    os._exit(7)

def a_set():
    return {1, 2}

def _idle():
    time.sleep(60)

def leave_one_running():
    Process(target=_idle, daemon=True).start()
    return "left"

def niceness():
    return os.getpriority(os.PRIO_PROCESS, 0)

def brief():
    worker = Process(target=square, args=(3,))
    worker.start()
    worker.join()
    return worker.pid

def escape():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    return "escaped"
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "ex99_sample.py").write_text(textwrap.dedent(MODULE))
    return tmp_path


def call(directory: Path, name: str, *args: object, **options: object) -> RunResult:
    return run(RunRequest("ex99_sample", directory, (Call(name, args),), **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_workers_are_observed_under_every_start_method(module: Path, method: str) -> None:
    result = call(module, "pool_squares", [1, 2, 3], start_method=method)
    assert result.outcome == "returned", (result.outcome, result.hang, result.error, result.stderr.text[-800:])
    values, pool_pids = result.value
    assert [v for v, _ in values] == [1, 4, 9]
    assert set(pool_pids) <= {p.pid for p in result.workers()}
    assert result.main_pid not in pool_pids
    assert result.wall_s is not None and result.wall_s > 0
    assert not result.left_running


def test_exception_keeps_the_students_frames_only(module: Path) -> None:
    result = call(module, "boom", 1)
    assert result.outcome == "raised" and result.error is not None
    assert result.error.type == "KeyError"
    assert [f["file"] for f in result.error.frames] == ["ex99_sample.py"]
    assert result.error.frames[-1]["text"] == 'return helper["missing"] + n'


def test_time_limit_with_stacks(module: Path) -> None:
    result = call(module, "sleepy", 30, timeout=1.0)
    assert result.outcome == "timeout"
    assert "still running after 1 s" in (result.hang or "")
    assert result.stacks and result.stacks[0].where() == "`time.sleep(seconds)` at ex99_sample.py:17"


def test_stall_is_reported_before_the_time_limit(module: Path) -> None:
    result = call(module, "sleepy", 30, timeout=20.0, stall_s=1.0)
    assert result.outcome == "timeout" and "no process used any CPU or woke up for 1 s" in (result.hang or "")
    assert result.duration_s < 10


def test_short_sleeps_are_no_stall(module: Path) -> None:
    """Ten naps of 0.3 s use less than a 10 ms tick of CPU in 3 s, but the process wakes for each."""
    result = call(module, "naps", 10, 0.3, timeout=20.0, stall_s=1.0)
    assert result.outcome == "returned" and result.value == "rested", result.hang


def test_exit_mid_call_is_a_crash_with_its_status(module: Path) -> None:
    result = call(module, "quit_hard")
    assert result.outcome == "crashed" and result.exit_status == 7


def test_unsendable_value_is_named(module: Path) -> None:
    result = call(module, "a_set")
    assert result.outcome == "unsendable" and result.unsendable_type == "builtins.set"


def test_missing_function_and_wrong_signature(module: Path) -> None:
    missing, wrong = run_all(RunRequest("ex99_sample", module, (Call("nope"), Call("square", (1, 2)))))
    assert missing.outcome == "raised" and missing.error is not None and missing.error.phase == "lookup"
    assert wrong.outcome == "raised" and wrong.error is not None and wrong.error.phase == "bind"


def test_left_running_is_seen_then_killed(module: Path) -> None:
    result = call(module, "leave_one_running")
    assert result.value == "left" and len(result.left_running) == 1


def test_setsid_double_fork_is_killed(module: Path) -> None:
    assert call(module, "escape").value == "escaped"  # the no_leaks fixture proves the grandchild died


def test_syntax_error_at_import(tmp_path: Path) -> None:
    (tmp_path / "ex99_sample.py").write_text("def f(:\n    pass\n")
    result = run(RunRequest("ex99_sample", tmp_path))
    assert result.outcome == "load_error" and result.error is not None and result.error.syntax is not None
    assert result.error.syntax["line"] == 1


def test_exit_at_import(tmp_path: Path) -> None:
    (tmp_path / "ex99_sample.py").write_text("import sys\nsys.exit(3)\n")
    result = run(RunRequest("ex99_sample", tmp_path))
    assert result.outcome == "load_error" and result.error is not None and result.error.type == "SystemExit"


def test_patched_clock_does_not_fool_the_grader(tmp_path: Path) -> None:
    (tmp_path / "ex99_sample.py").write_text(
        "import time\n_real = time.perf_counter\ntime.perf_counter = lambda: _real() / 100\n"
        "time.monotonic = time.perf_counter\n"
        "def work():\n    time.sleep(0.3)\n    return 1\n"
    )
    result = run(RunRequest("ex99_sample", tmp_path, (Call("work"),)))
    assert result.wall_s is not None and result.wall_s >= 0.3


def test_a_broken_call_does_not_take_the_next_ones_down(module: Path) -> None:
    first, crash, after = run_all(
        RunRequest("ex99_sample", module, (Call("square", (3,)), Call("quit_hard"), Call("square", (4,))))
    )
    assert (first.value, crash.outcome, after.value) == (9, "crashed", 16)
    assert first.main_pid == crash.main_pid != after.main_pid


@pytest.mark.parametrize("layers", ["none", "all"])
def test_runs_side_by_side_keep_to_their_own_processes(
    module: Path, layers: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's new sibling under the grader is not an orphan of another run: neither one's
    records, stacks nor kill reach the other (cold start, where every run is the grader's child)."""
    from concurrent.futures import ThreadPoolExecutor

    from grader.sandbox import machine
    from grader.sandbox.isolation import Isolation, Limits, probe

    monkeypatch.setenv("MPGRADE_WARM", "0")
    monkeypatch.setattr(machine, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(machine, "_slots", 2)
    isolation = Isolation(Limits(), probe()) if layers == "all" else None
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(call, module, "sleepy", 1.5, isolation=isolation)
        quick = [call(module, "pool_squares", [1, 2], isolation=isolation) for _ in range(3)]
        long = slow.result()
    assert long.outcome == "returned" and long.value == "woke"
    long_pids = {p.pid for p in long.processes}
    for result in quick:
        assert result.outcome == "returned"
        assert not long_pids & {p.pid for p in result.processes}


def test_a_child_that_executes_late_gets_the_role_of_what_it_became() -> None:
    """A fork server seen for many samples with its parent's command line (it executes only
    later, as on a loaded machine) is still a helper in the end, not a worker."""
    import subprocess
    import sys

    from grader.sandbox.observer import TreeObserver

    script = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    time.sleep(0.3)\n"  # thirty samples with the parent's command line
        "    name = 'multiprocessing.' + 'fork' + 'server'\n"  # not in this process's own command line
        "    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(1.2)  # ' + name])\n"
        "os.wait()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    observer = TreeObserver(parent.pid)
    observer.start()
    parent.wait(timeout=30)
    records = observer.stop()
    child = next(r for r in records if r.pid != parent.pid)
    assert "multiprocessing.forkserver" in child.cmdline and child.role == "helper"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may raise a process's priority")
@pytest.mark.parametrize("warm", ["1", "0"])
def test_runs_have_the_ordinary_priority_under_a_higher_grader(
    module: Path, warm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grader.sandbox.isolation import Isolation, Limits, probe

    monkeypatch.setenv("MPGRADE_WARM", warm)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, -5)
    try:
        result = call(module, "niceness", isolation=Isolation(Limits(), probe()))
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)
    assert result.value == 0


def test_a_child_waits_until_the_observer_has_seen_it(module: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An observer that looks only every 0.5 s (a grader held up by a busy machine) still sees
    a worker that would live 50 ms: the worker waits until the grader has marked it seen."""
    import functools

    from grader.sandbox import launcher
    from grader.sandbox.isolation import Isolation, Limits, probe
    from grader.sandbox.observer import TreeObserver

    monkeypatch.setattr(launcher, "TreeObserver", functools.partial(TreeObserver, interval=0.5))
    for isolation in (None, Isolation(Limits(), probe())):  # the jail: its own pids, a read-only mark
        for method in ("fork", "forkserver"):
            result = call(module, "brief", start_method=method, isolation=isolation)
            assert result.outcome == "returned", (result.outcome, result.stderr.text[-800:])
            assert result.value in {p.own_pid for p in result.workers()}, (method, isolation)


def _tail_script(grandchild: bool) -> str:
    """A parent whose child waits for a byte on stdin, then burns 0.3 s of CPU and exits (or
    whose child has started a grandchild that does so, reaps it and exits); the parent reaps
    the child, says so and waits for its own stdin to close."""
    burn = (
        "    os.read(0, 1)\n"
        "    t = time.process_time()\n"
        "    while time.process_time() - t < 0.3: pass\n"
        "    os._exit(0)\n"
    )
    if grandchild:
        burn = "    if os.fork() == 0:\n" + textwrap.indent(burn, "    ") + "    os.wait()\n    os._exit(0)\n"
    return (
        "import os, sys, time\n"
        "child = os.fork()\n"
        "if child == 0:\n" + burn + "os.waitpid(child, 0)\n"
        "print('reaped', flush=True)\n"
        "sys.stdin.read()\n"
    )


@pytest.mark.parametrize("grandchild", [False, True])
def test_cpu_used_after_the_last_sample_is_credited_only_to_a_leaf(grandchild: bool) -> None:
    """A child that works and is reaped between two samples gets that work from its reaper's
    reaped-children CPU; a child seen with a child of its own gets nothing it was not seen
    using, and neither does that grandchild (the growth could not be split between them)."""
    import subprocess
    import sys
    import time as clock

    from grader.sandbox.observer import TreeObserver

    parent = subprocess.Popen(
        [sys.executable, "-c", _tail_script(grandchild)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    observer = TreeObserver(parent.pid)
    deadline = clock.monotonic() + 30
    while len(observer.sample()) < (3 if grandchild else 2) and clock.monotonic() < deadline:
        clock.sleep(0.01)
    assert parent.stdin is not None and parent.stdout is not None
    parent.stdin.write(b"x")
    parent.stdin.flush()
    assert parent.stdout.readline() == b"reaped\n"  # no sample was taken meanwhile
    observer.sample()
    parent.stdin.close()
    parent.wait(timeout=30)
    others = [r for r in observer.records() if r.pid != parent.pid]
    assert len(others) == (2 if grandchild else 1)
    if grandchild:
        assert sum(r.cpu_s for r in others) < 0.1
    else:
        assert 0.25 <= others[0].cpu_s <= 0.45


@pytest.mark.parametrize("stale_samples", [1, 2])
def test_a_child_reaped_after_its_reaper_was_read_is_credited_in_the_next_sample(
    stale_samples: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sampling thread held up between reading a reaper and reading its child finds the child
    gone while the reaper's reaped-children CPU does not hold it yet: the next sample credits
    it; a child still unsettled after that sample is given up (nothing is credited later)."""
    import subprocess
    import sys
    import time as clock

    from grader.sandbox import observer as tree

    parent = subprocess.Popen(
        [sys.executable, "-c", _tail_script(False)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    watcher = tree.TreeObserver(parent.pid)
    deadline = clock.monotonic() + 30
    while len(watcher.sample()) < 2 and clock.monotonic() < deadline:
        clock.sleep(0.01)
    before = tree.read_stat(parent.pid)
    assert parent.stdin is not None and parent.stdout is not None and before is not None
    parent.stdin.write(b"x")
    parent.stdin.flush()
    assert parent.stdout.readline() == b"reaped\n"
    real = tree.read_stat
    monkeypatch.setattr(tree, "read_stat", lambda pid: before if pid == parent.pid else real(pid))
    for _ in range(stale_samples):
        watcher.sample()  # the child is gone, its reaper read as it was before the reaping
    monkeypatch.setattr(tree, "read_stat", real)
    watcher.sample()
    parent.stdin.close()
    parent.wait(timeout=30)
    child = next(r for r in watcher.records() if r.pid != parent.pid)
    if stale_samples == 1:
        assert 0.25 <= child.cpu_s <= 0.45
    else:
        assert child.cpu_s < 0.1


_ZOMBIE_SIBLING = """
import os, sys, time
def burn():
    begun = time.process_time()
    while time.process_time() - begun < 0.3:
        pass
first = os.fork()
if first == 0:
    burn()
    os._exit(0)
second = os.fork()
if second == 0:
    os.read(0, 1)
    burn()
    os._exit(0)
os.waitid(os.P_PID, first, os.WEXITED | os.WNOWAIT)
print('first-exited', flush=True)
os.waitpid(second, 0)
os.waitpid(first, 0)
print('reaped', flush=True)
sys.stdin.read()
"""


def test_a_zombie_siblings_cpu_is_not_credited_again_to_a_child_reaped_with_it() -> None:
    """A child found as a zombie already holds its CPU; when its parent reaps it together with
    a sibling between two samples, the parent's reaped-children CPU grows by both, and only the
    sibling's part is the sibling's (not the two burns of 0.3 s each)."""
    import subprocess
    import sys
    import time as clock

    from grader.sandbox.observer import TreeObserver

    parent = subprocess.Popen([sys.executable, "-c", _ZOMBIE_SIBLING], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert parent.stdin is not None and parent.stdout is not None
    observer = TreeObserver(parent.pid)
    deadline = clock.monotonic() + 30
    while len(observer.sample()) < 3 and clock.monotonic() < deadline:
        clock.sleep(0.01)
    assert parent.stdout.readline() == b"first-exited\n"
    observer.sample()  # the first child, a zombie, with its 0.3 s; the second alive
    parent.stdin.write(b"x")
    parent.stdin.flush()
    assert parent.stdout.readline() == b"reaped\n"  # both reaped, no sample meanwhile
    observer.sample()
    parent.stdin.close()
    parent.wait(timeout=30)
    first, second = sorted((r for r in observer.records() if r.pid != parent.pid), key=lambda r: r.pid)
    assert 0.25 <= first.cpu_s <= 0.45
    assert 0.25 <= second.cpu_s <= 0.45


@pytest.mark.parametrize("source", ["proc", "psutil"])
def test_a_process_lived_at_most_from_the_sample_before_its_sighting_to_the_sample_that_missed_it(source: str) -> None:
    """Samples taken by hand: before the child exists, twice while it lives, after it is reaped.
    Its possible lifetime runs from no earlier than the first sample (its start time narrows it)
    to the last; what was seen, between the two middle ones. The parent, alive at the last
    sample, may still be living."""
    from grader.sandbox.observer import TreeObserver, source_named

    script = (
        "import os\n"
        "os.read(0, 1)\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os.read(0, 1)\n"
        "    os._exit(0)\n"
        "print(child, flush=True)\n"
        "os.waitpid(child, 0)\n"
        "print('reaped', flush=True)\n"
        "os.read(0, 1)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert parent.stdin is not None and parent.stdout is not None
    observer = TreeObserver(parent.pid, source=source_named(source))
    try:
        observer.sample()
        parent.stdin.write(b"x")
        parent.stdin.flush()
        child_pid = int(parent.stdout.readline())
        observer.sample()
        observer.sample()
        parent.stdin.write(b"x")
        parent.stdin.flush()
        assert parent.stdout.readline() == b"reaped\n"
        observer.sample()
    finally:
        parent.stdin.write(b"x")
        parent.stdin.close()
        parent.wait(timeout=30)
    records = {r.pid: r for r in observer.records()}
    root, child = records[parent.pid], records[child_pid]
    assert root.possible_lifetime()[0] <= root.first_seen and root.possible_lifetime()[1] == float("inf")
    start, end = child.possible_lifetime()
    assert root.first_seen <= start < child.first_seen < child.last_seen < end


def test_the_observer_keeps_the_longest_time_between_two_samples() -> None:
    import time

    from grader.sandbox.observer import TreeObserver

    observer = TreeObserver(os.getpid())
    observer.sample()
    assert observer.longest_gap == 0.0
    begun = time.monotonic()
    time.sleep(0.2)
    observer.sample()
    observer.sample()
    assert 0.2 <= observer.longest_gap <= time.monotonic() - begun


def _instrumented(code: str, config: dict[str, object], timeout: float = 30.0, root: bool = False) -> str:
    """Run ``code`` in an interpreter with the sandbox's instrumentation, as a child of a
    sandbox (``root``: as its first interpreter, the harness)."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": str(BOOT_DIR),
        "MPGRADE_SANDBOX": json.dumps(config),
    }
    if not root:
        env["MPGRADE_ROOT_PID"] = "1"  # another process is the sandbox's first interpreter
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_child_pauses_until_marked_seen_within_a_bound(tmp_path: Path) -> None:
    code = """
import os, time
begun = time.monotonic()
read, write = os.pipe()
child = os.fork()
if child == 0:
    os.write(write, str(time.monotonic() - begun).encode())
    os._exit(0)
time.sleep(0.4)
open(os.path.join(%r, str(child)), "w").close()
os.waitpid(child, 0)
print(os.read(read, 64).decode())
"""
    marked = float(_instrumented(code % str(tmp_path), {"child_pause": 0.01, "seen_dir": str(tmp_path)}))
    assert 0.4 <= marked < 1.0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    unmarked = float(_instrumented(code % str(elsewhere), {"child_pause": 0.01, "seen_dir": str(tmp_path)}))
    assert 1.0 <= unmarked < 10.0  # the bound (SEEN_WAIT_S), when the grader never marks it


def test_a_child_terminated_before_it_was_seen_ends_once_seen(tmp_path: Path) -> None:
    """A pool terminated as soon as its tasks are done sends SIGTERM to workers that may still be
    in their start pause: the signal waits until the grader has marked the worker seen (else a
    busy grader never sees it and counts a worker too few), then ends it as it would have."""
    code = """
import os, signal, sitecustomize, time
sitecustomize.SEEN_WAIT_S = 60.0  # only the mark ends the wait, however slow the machine
child = os.fork()
if child == 0:
    os._exit(0)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:  # until the child holds SIGTERM (its start pause)
    blocked = [l for l in open(f"/proc/{child}/status") if l.startswith("SigBlk:")][0]
    if int(blocked.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
        break
    time.sleep(0.005)
os.kill(child, signal.SIGTERM)
time.sleep(0.1)
ended, status = os.waitpid(child, os.WNOHANG)
print("ended" if ended else "alive", end=" ")
open(os.path.join(%r, str(child)), "w").close()
if not ended:
    _, status = os.waitpid(child, 0)
print(os.waitstatus_to_exitcode(status))
"""
    assert _instrumented(code % str(tmp_path), {"child_pause": 0.01, "seen_dir": str(tmp_path)}) == "alive -15"


def test_the_start_methods_helpers_do_not_pause_but_what_they_fork_does() -> None:
    # A fork server that paused as it started would hold up every worker it forks: with a
    # pause of 60 s the interpreter would not end within the 30 s limit.
    assert _instrumented("print('up')  # multiprocessing.forkserver", {"child_pause": 60.0}) == "up"
    forked = """
import os, time
begun = time.monotonic()
read, write = os.pipe()
if os.fork() == 0:
    os.write(write, str(time.monotonic() - begun).encode())
    os._exit(0)
os.wait()
print(os.read(read, 64).decode())  # multiprocessing.forkserver
"""
    assert float(_instrumented(forked, {"child_pause": 1.0})) >= 1.0


def test_the_resource_tracker_carries_no_instrumentation_but_stack_dumps(tmp_path: Path) -> None:
    config = {
        "stacks_dir": str(tmp_path),
        "api": {"dir": str(tmp_path), "submission": str(tmp_path)},
        "watch": {"dir": str(tmp_path), "module": "ex99_sample", "functions": ["square"]},
    }
    show = "import sys, faulthandler; print(sorted(m for m in sys.modules if m.startswith('_mpgrade')))"
    assert _instrumented(show, config) == "['_mpgrade_api', '_mpgrade_hooks', '_mpgrade_watch', '_mpgrade_wire']"
    assert _instrumented(show + "  # multiprocessing.resource_tracker", config) == "[]"
    assert len(list(tmp_path.glob("*.txt"))) == 2  # both can dump their stacks


HELPERS_MODULE = """
import os, sys, time
from multiprocessing import Process, Queue

IMPORTED_IN = os.getpid()  # the process that ran this module's import


def _report(queue):
    queue.put(IMPORTED_IN == os.getpid())


def imported_afresh():
    queue = Queue()
    child = Process(target=_report, args=(queue,))
    child.start()
    fresh = queue.get(timeout=20)
    child.join()
    return fresh


def _idle():
    time.sleep(60)


def forge_helpers():
    import _mpgrade_wire
    child = Process(target=_idle, daemon=True)
    child.start()
    time.sleep(0.2)
    os.write(int(sys.argv[2]), _mpgrade_wire.dump_message("helpers", pids=[child.pid]))
    return child.pid
"""


@pytest.fixture
def helpers_module(tmp_path: Path) -> Path:
    (tmp_path / "ex99_sample.py").write_text(textwrap.dedent(HELPERS_MODULE))
    return tmp_path


def test_forkserver_helpers_are_forked_before_the_import_and_known_as_helpers(module: Path) -> None:
    result = call(module, "pool_squares", [1, 2, 3], start_method="forkserver")
    assert result.outcome == "returned", (result.outcome, result.hang, result.stderr.text[-800:])
    _, pool_pids = result.value
    helpers = [p for p in result.processes if p.role == "helper"]
    assert len(helpers) == 2  # the resource tracker and the fork server
    main = next(p for p in result.processes if p.role == "main")
    assert all(h.ppid == main.pid and h.cmdline == main.cmdline for h in helpers)  # forked, not executed
    assert set(pool_pids) <= {p.pid for p in result.workers()}
    assert not set(pool_pids) & {h.pid for h in helpers}
    assert not result.left_running and "Traceback" not in result.stderr.text


@pytest.mark.parametrize(("method", "fresh"), [("forkserver", True), ("spawn", True), ("fork", False)])
def test_workers_of_the_forked_fork_server_import_the_submission_afresh(
    helpers_module: Path, method: str, fresh: bool
) -> None:
    # A fork server forked after the import would hand its workers the submission's state:
    # fork-only code would pass under forkserver.
    result = call(helpers_module, "imported_afresh", start_method=method)
    assert (result.outcome, result.value) == ("returned", fresh), result.stderr.text[-800:]


def test_a_helpers_message_from_the_submission_is_ignored(helpers_module: Path) -> None:
    result = call(helpers_module, "forge_helpers", start_method="forkserver")
    assert result.outcome == "returned", (result.outcome, result.stderr.text[-800:])
    assert [p.pid for p in result.left_running] == [result.value]
    assert len([p for p in result.processes if p.role == "helper"]) == 2


def test_a_forked_helper_does_not_pause_but_what_it_forks_does() -> None:
    fork_helper = """
import os, sys, _mpgrade_helpers
command = [sys.executable, "-c", {code!r}]
pid = _mpgrade_helpers._fork_instead(sys.executable, command, [])
os.waitpid(pid, 0)
"""
    # With a pause of 60 s, a helper that paused would outlast the 30 s limit.
    quick = fork_helper.format(code="print('helper ran', flush=True)")
    assert _instrumented(quick, {"child_pause": 60.0}, root=True) == "helper ran"
    forked = (
        "import os, time; begun = time.monotonic(); read, write = os.pipe()\n"
        "if os.fork() == 0: os.write(write, str(time.monotonic() - begun).encode()); os._exit(0)\n"
        "os.wait(); print(os.read(read, 64).decode(), flush=True)"
    )
    assert float(_instrumented(fork_helper.format(code=forked), {"child_pause": 1.0}, root=True)) >= 1.0
