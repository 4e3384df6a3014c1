"""The scheduler: runs made ahead of the checks, once each, the measurements alone.

Deterministic: fake runs report what they see through events and counters, never through
timings, so no verdict here depends on how busy the machine is.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from grader import catalogue
from grader.checks import schedule
from grader.checks.support import Submission
from grader.sandbox import machine


@pytest.fixture(autouse=True)
def private_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "LOCK_DIR", tmp_path / "locks")


def submission() -> Submission:
    return Submission(catalogue.EXERCISES[0], Path("."), "forkserver")


class Recorder:
    """Fake runs that hold the machine as real ones do and note who ran alongside whom."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.most = 0
        self.seen_with: dict[str, set[str]] = {}
        self.made: list[str] = []
        self.gate = threading.Event()

    def run(self, name: str, alone: bool = False, hold: threading.Event | None = None) -> Any:
        def make(sub: Submission) -> str:
            def body() -> str:
                with machine.hold(alone):
                    with self.lock:
                        self.seen_with[name] = set(self.running)
                        for other in self.running:
                            self.seen_with[other].add(name)
                        self.running.add(name)
                        self.most = max(self.most, len(self.running))
                        self.made.append(name)
                    if hold is not None:
                        hold.wait(10)
                    with self.lock:
                        self.running.discard(name)
                return name

            return sub.once(("fake", name), body)

        make.__name__ = name
        return schedule.alone(make) if alone else make


def test_measurements_have_the_machine_alone_and_shared_runs_stay_bounded() -> None:
    recorder = Recorder()
    sub = submission()
    release = threading.Event()
    shared = [recorder.run(f"shared-{n}", hold=release) for n in range(6)]
    timed = [recorder.run(f"timed-{n}", alone=True) for n in range(2)]
    plan = [(sub, run) for run in (*shared[:3], timed[0], *shared[3:], timed[1])]
    scheduler = schedule.Scheduler(3, plan)
    waiter = threading.Thread(target=lambda: [run(sub) for run in shared])
    waiter.start()
    for _ in range(500):
        if recorder.most >= 3:
            break
        threading.Event().wait(0.01)
    release.set()
    waiter.join(20)
    scheduler.close()
    assert recorder.made[:2] == ["timed-0", "timed-1"]  # before any shareable run started
    assert recorder.seen_with["timed-0"] == set() and recorder.seen_with["timed-1"] == set()
    assert recorder.most == 3  # the bound, reached and never passed
    assert sorted(recorder.made) == sorted(["timed-0", "timed-1", *(f"shared-{n}" for n in range(6))])


def test_a_check_gets_the_run_the_scheduler_is_making_and_its_error() -> None:
    sub = submission()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow(s: Submission) -> Any:
        def body() -> list[int]:
            calls.append(1)
            started.set()
            release.wait(10)
            return calls

        return s.once("slow", body)

    def broken(s: Submission) -> Any:
        def body() -> None:
            raise RuntimeError("the sandbox broke")

        return s.once("broken", body)

    scheduler = schedule.Scheduler(2, [(sub, slow), (sub, broken)])
    assert started.wait(10)
    got: list[Any] = []
    asker = threading.Thread(target=lambda: got.append(slow(sub)))
    asker.start()
    release.set()
    asker.join(10)
    scheduler.close()
    assert got == [[1]] and len(calls) == 1  # made once, by the scheduler, handed to the check
    with pytest.raises(RuntimeError, match="the sandbox broke"):
        broken(sub)


def test_no_deadlock_when_a_check_starts_a_measurement_the_scheduler_has_not_reached() -> None:
    """The scheduler holds the machine for the first measurement; a check starts the second
    (and waits for the machine); the scheduler finds it in progress, moves on, lets go."""
    sub = submission()
    first_inside, release_first = threading.Event(), threading.Event()
    made: list[str] = []

    def measurement(name: str, hold: threading.Event | None) -> Any:
        def make(s: Submission) -> Any:
            def body() -> str:
                with machine.alone():
                    made.append(name)
                    if hold is not None:
                        first_inside.set()
                        hold.wait(10)
                return name

            return s.once(name, body)

        return schedule.alone(make)

    first, second = measurement("first", release_first), measurement("second", None)
    built: list[schedule.Scheduler] = []
    builder = threading.Thread(target=lambda: built.append(schedule.Scheduler(1, [(sub, first), (sub, second)])))
    builder.start()
    assert first_inside.wait(10)
    got: list[str] = []
    check = threading.Thread(target=lambda: got.append(second(sub)))
    check.start()
    for _ in range(200):  # until the check's thread has claimed the second measurement
        if "second" in sub._once._futures:
            break
        threading.Event().wait(0.01)
    release_first.set()
    check.join(20)
    builder.join(20)
    built[0].close()
    assert got == ["second"] and made == ["first", "second"]


RACE_PAUSES = {"value_pause", "dict_pause", "list_pause"}
LONG_WINDOW_S = 0.01


def test_runs_that_provoke_a_race_through_long_windows_take_the_machine_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that starts its processes together and widens race windows with pauses: with
    short windows opened on every read (hundreds per process) the processes race even on
    one shared core, so the run shares the machine and takes no turn alone; with long
    windows opened a few times per process (ex09's read of the whole dict, once per word in
    racy code), a lag between the processes can put the windows of the same key out of
    step, and other runs of ours on two cores make such lags: that run is made in the
    measurement phase and asks for the machine alone itself (for a check that makes it first)."""
    import contextlib
    import importlib
    from unittest import mock

    from grader.checks import support

    requests: list[Any] = []
    monkeypatch.setattr(support, "run", lambda request: requests.append(request) or mock.MagicMock())
    provoking: dict[str, tuple[bool, bool, bool]] = {}  # name -> (long windows, asks alone, made alone)
    for exercise in catalogue.EXERCISES:
        module = importlib.import_module(f"grader.checks.test_{exercise.id}")
        for planned in module.PREFETCH:
            before = len(requests)
            with contextlib.suppress(Exception):
                planned(Submission(exercise, Path("."), "forkserver"))
            for request in requests[before:]:
                if request.barrier and set(request.amplify or {}) & RACE_PAUSES:
                    longest = max(v for k, v in request.amplify.items() if k.endswith("_pause"))
                    name = f"{exercise.id}.{planned.__name__}"
                    made_alone = schedule.needs_machine_alone(planned)
                    provoking[name] = (longest >= LONG_WINDOW_S, request.exclusive, made_alone)
    assert set(provoking) == {
        "ex07_value.stressed_count_run",
        "ex07_value.increment_run",
        "ex09_manager.stressed_words_run",
    }
    assert provoking["ex09_manager.stressed_words_run"][0]  # the rule below is not vacuous
    assert all(asks == made == long for long, asks, made in provoking.values()), provoking
