"""The host-wide lock: shared runs together, an exclusive run alone and first, and a lock
that dies with its holder."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.sandbox import machine


@pytest.fixture(autouse=True)
def own_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(machine, "_slots", 2)


def test_shared_runs_hold_the_machine_together() -> None:
    with machine.shared(), machine.shared():
        pass  # a second shared holder does not wait for the first


def test_shared_runs_are_bounded_by_the_slots() -> None:
    """With two slots held, a third shared run waits until one is let go."""
    got_in = threading.Event()

    def third() -> None:
        with machine.shared():
            got_in.set()

    with machine.shared():
        with machine.shared():
            waiter = threading.Thread(target=third)
            waiter.start()
            assert not got_in.wait(0.3)  # still waiting: both slots are held (not a timing verdict: it must wait)
        assert got_in.wait(10)
        waiter.join(10)


def test_runs_waiting_for_a_slot_do_not_all_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five runs wait for a slot: only the first in line looks for a free one each
    ``SLOT_POLL_S``, the others wait on a lock without using the CPU. A sleep never ends
    early, so one poller looks at most elapsed / SLOT_POLL_S times (five pollers, as before,
    about five times that); then all five get in as the slots free up."""
    looks = 0
    try_slots = machine._try_slots

    def counted() -> int | None:
        nonlocal looks
        looks += 1
        return try_slots()

    monkeypatch.setattr(machine, "_try_slots", counted)
    inside = threading.Semaphore(0)

    def waiter() -> None:
        with machine.shared():
            inside.release()

    with machine.shared(), machine.shared():
        begun = time.monotonic()
        waiters = [threading.Thread(target=waiter) for _ in range(5)]
        for thread in waiters:
            thread.start()
        time.sleep(0.5)
        looked, elapsed = looks, time.monotonic() - begun
    assert looked <= 2 + 5 + elapsed / machine.SLOT_POLL_S  # our two, each waiter's first, one poller
    for _ in waiters:
        assert inside.acquire(timeout=10)
    for thread in waiters:
        thread.join(10)


def test_a_removed_lock_folder_is_made_again() -> None:
    with machine.shared():
        pass
    for lock in machine.LOCK_DIR.iterdir():
        lock.unlink()
    machine.LOCK_DIR.rmdir()
    with machine.shared():  # the folder is made again, not an error
        assert machine.LOCK_DIR.is_dir()


def test_an_exclusive_run_waits_for_shared_runs_and_then_runs_alone() -> None:
    order: list[str] = []
    inside = threading.Event()

    def exclusive() -> None:
        inside.wait()
        with machine.exclusive():
            order.append("exclusive")

    thread = threading.Thread(target=exclusive)
    thread.start()
    with machine.shared():
        inside.set()
        time.sleep(0.3)  # the exclusive run is waiting meanwhile, however long this takes
        order.append("shared done")
    thread.join(timeout=10)
    assert order == ["shared done", "exclusive"]


def _turnstile_closed() -> bool:
    """True once an exclusive run holds the turnstile (a shared probe would have to wait)."""
    fd = machine._open("turnstile")
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_waiting_exclusive_run_goes_before_new_shared_runs() -> None:
    order: list[str] = []

    def exclusive() -> None:
        with machine.exclusive():
            order.append("exclusive")

    def late_shared() -> None:
        with machine.shared():
            order.append("late shared")

    with machine.shared():
        first = threading.Thread(target=exclusive)
        first.start()
        deadline = time.monotonic() + 10
        while not _turnstile_closed() and time.monotonic() < deadline:
            time.sleep(0.01)
        second = threading.Thread(target=late_shared)
        second.start()  # arrives while the exclusive run waits for this shared run to end
        time.sleep(0.1)
        assert order == []
    for thread in (first, second):
        thread.join(timeout=10)
    assert order == ["exclusive", "late shared"]


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from grader.sandbox import machine; "
            "machine.LOCK_DIR = Path(sys.argv[1]); "
            "cm = machine.exclusive(); cm.__enter__(); print('held', flush=True); time.sleep(60)",
            str(tmp_path / "locks"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    done = threading.Event()

    def take() -> None:
        with machine.exclusive():
            done.set()

    threading.Thread(target=take, daemon=True).start()
    assert done.wait(timeout=10), "a lock held by a killed grading must not block the next one"


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/proc/self/autogroup").exists(), reason="root and the kernel's autogroups"
)
def test_the_check_suite_leads_its_own_session_weighted_ahead_of_the_runs() -> None:
    """Each sandbox run is a session, and the kernel schedules sessions as groups: the suite (whose
    threads observe the runs) leads a session of its own at the grader's nice value, and the
    caller's session keeps its weight."""
    from grader.catalogue import BY_ID
    from grader.checks.plugin import GRADER_NICE
    from grader.config import Settings
    from grader.sandbox.isolation import Isolation, Layers, Limits
    from grader.suite import Suite

    mine = Path("/proc/self/autogroup").read_text()
    solutions = Path(__file__).resolve().parent.parent / "solutions"
    suite = Suite(solutions, (BY_ID["ex01_process"],), Settings(("fork",), 60.0, Isolation(Limits(), Layers())))
    try:
        weighed = ""
        deadline = time.monotonic() + 60
        while suite.process.poll() is None and time.monotonic() < deadline:
            weighed = Path(f"/proc/{suite.process.pid}/autogroup").read_text()
            if f"nice {GRADER_NICE}" in weighed:
                break
            time.sleep(0.01)
        assert os.getsid(suite.process.pid) == suite.process.pid
        assert f"nice {GRADER_NICE}" in weighed
        assert Path("/proc/self/autogroup").read_text() == mine
    finally:
        suite.cancel()
