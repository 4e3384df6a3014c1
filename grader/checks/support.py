"""What the check files use: running the submission, outcomes, messages for students.

A check calls the submission through :class:`Submission` (each call a fresh sandbox),
then judges what the grader observed. It ends in one of three ways besides passing:
``CheckFailed`` (the code ran and was wrong), ``SubmissionError`` (the code crashed,
hung or could not be called) or ``skip`` (cannot be judged on this machine).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from grader.catalogue import Exercise
from grader.sandbox.isolation import Isolation
from grader.sandbox.launcher import run, run_all
from grader.sandbox.results import MIN_CHILD_LIFETIME_S, Call, RunRequest, RunResult, SleepSpec

MAGIC_DELAY = 0.1231
T = TypeVar("T")


class CheckFailed(AssertionError):
    """The submission ran and its result or behaviour was wrong; ``cause`` is one of
    :data:`grader.checks.causes.CAUSES` (the class report groups failures by it)."""

    def __init__(self, message: str, cause: str = "other", **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = {"cause": cause, **data}


class SubmissionError(Exception):
    """The submission crashed, hung or could not be called: the check cannot pass."""

    def __init__(self, message: str, cause: str = "other", **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = {"cause": cause, **data}


def skip(reason: str) -> None:
    import pytest  # here, not at the top: the grader's own process (preflight) never loads pytest

    pytest.skip(reason)


_checking = threading.local()


@contextlib.contextmanager
def watching_runs() -> Iterator[list[RunResult]]:
    """Collect the runs handed to this thread's check in this block (a speedup measurement
    counts as its first parallel run), for the timeline of the run behind the check."""
    found: list[RunResult] = []
    _checking.runs = found
    try:
        yield found
    finally:
        _checking.runs = None


def runs_in(value: Any) -> list[RunResult]:
    """The runs a value handed to a check holds (a speedup measurement: its first parallel run)."""
    if isinstance(value, RunResult):
        return [value]
    if isinstance(value, tuple):
        return [v for v in value if isinstance(v, RunResult)]
    parallel = getattr(value, "parallel", None)
    return [parallel[0]] if parallel else []


def note(value: Any) -> None:
    """Count ``value`` as handed to this thread's check (see :func:`watching_runs`)."""
    runs = getattr(_checking, "runs", None)
    if runs is not None:
        runs.extend(runs_in(value))


class InProgress(Exception):
    """A scheduler's thread asked for what another thread is making already."""


_ahead = threading.local()


@contextlib.contextmanager
def making_ahead() -> Iterator[None]:
    """In this block (a scheduler's thread), asking for something another thread is making
    raises InProgress instead of waiting: the scheduler moves on, the asker gets it."""
    _ahead.active = True
    try:
        yield
    finally:
        _ahead.active = False


class _Once:
    """Single flight: the first caller of a key computes it, later and concurrent callers wait
    for that result (or exception). Safe across the grader's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Any, Future[Any]] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._futures.get(key)
            mine = future is None
            if mine:
                future = self._futures[key] = Future()
        assert future is not None
        if not mine and not future.done() and getattr(_ahead, "active", False):
            raise InProgress(repr(key)[:200])
        if mine:
            try:
                future.set_result(compute())
            except BaseException as error:  # noqa: BLE001 - handed to every caller of the key
                future.set_exception(error)
        return cast(T, future.result())


@dataclass
class Submission:
    """One exercise of one submission under one start method.

    Identical runs are made once, whichever thread asks first: the checks of a module and
    the scheduler that starts them ahead of the checks (see ``prefetch``) share them."""

    exercise: Exercise
    directory: Path
    start_method: str
    default_timeout: float = 30.0
    isolation: Isolation | None = None
    observer: str = "proc"  # the process observer's source (``--observer``)
    _once: _Once = field(default_factory=_Once)

    @property
    def path(self) -> Path:
        return self.directory / self.exercise.filename

    def source(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace")

    def once(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for; its result (or error) every time."""
        value = self._once.get(key, compute)
        note(value)
        return value

    def call(
        self,
        name: str,
        *args: Any,
        timeout: float | None = None,
        sleep: SleepSpec | None = None,
        amplify: dict[str, float] | None = None,
        fresh: bool = False,
        driver: bool = False,
        barrier: int = 0,
        watch: tuple[str, ...] = (),
        min_lifetime_s: float = MIN_CHILD_LIFETIME_S,
        exclusive: bool = False,
        load_submission: bool = True,
        **kwargs: Any,
    ) -> RunResult:
        """Run one call in a fresh sandbox; identical calls share one run unless ``fresh``.

        ``min_lifetime_s``: every child process waits this long as it starts, so that the
        observer sees it; CPU-timing runs set 0 (their workers live long enough anyway, and
        the wait would read as idle time of the pool), and take the machine alone
        (``exclusive``) so that no other run of ours disturbs their timing.
        ``load_submission=False``: a driver that is a baseline of the grader's runs without the
        submission's module imported, so that none of its code (a thread started on import)
        runs beside it."""
        request = RunRequest(
            module=self.exercise.id,
            directory=self.directory,
            calls=(Call(name, args, kwargs, target="driver" if driver else "function"),),
            start_method=self.start_method,
            timeout=timeout or self.default_timeout,
            sleep=sleep,
            amplify=amplify,
            barrier=barrier,
            watch=watch,
            min_lifetime_s=min_lifetime_s,
            exclusive=exclusive,
            isolation=self.isolation,
            load_submission=load_submission,
            observer=self.observer,
        )
        if fresh:
            result = run(request)
            note(result)
            return result
        key = ("call", name, repr(args), repr(sorted(kwargs.items())), repr(sleep), repr(amplify), driver, barrier)
        return self.once((*key, watch, min_lifetime_s, exclusive, timeout, load_submission), lambda: run(request))

    def driver(self, name: str, *args: Any, **options: Any) -> RunResult:
        return self.call(name, *args, driver=True, **options)

    def calls(self, *calls: Call, timeout: float | None = None) -> tuple[RunResult, ...]:
        """Several quick calls one after another in one sandbox (for checks of plain results)."""
        request = RunRequest(
            module=self.exercise.id,
            directory=self.directory,
            calls=calls,
            start_method=self.start_method,
            timeout=timeout or self.default_timeout,
            isolation=self.isolation,
            observer=self.observer,
        )
        return self.once(("calls", repr(calls), timeout), lambda: run_all(request))


def signal_words(status: int | None) -> str:
    """Decode an exit status: ``EXIT(3)``, ``killed by SIGKILL``."""
    if status is None:
        return "still running"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        hint = {
            "SIGKILL": " (killed from outside: a memory limit, or the grader's timeout)",
            "SIGSEGV": " (a segmentation fault)",
            "SIGABRT": " (the interpreter aborted)",
            "SIGXCPU": " (the CPU time limit per process)",
            "SIGXFSZ": " (a file grew past the file size limit)",
        }.get(name, "")
        return f"killed by {name}{hint}"
    return f"EXIT({status})"


def _where(frames: tuple[dict[str, Any], ...]) -> str:
    if not frames:
        return ""
    frame = frames[-1]
    text = f" `{frame['text']}`" if frame.get("text") else ""
    return f" at {frame['file']}:{frame['line']}{text}"


def describe_hang(result: RunResult) -> str:
    """Group the stacks of a hung tree: 'main: `w.join()` at ex05.py:27; 3 workers: ...'."""
    groups: Counter[tuple[str, str]] = Counter((s.role, s.where()) for s in result.stacks if s.role != "helper")
    parts = []
    for (role, where), count in sorted(groups.items(), key=lambda item: item[0][0] != "main"):
        label = "main" if role == "main" else f"{count} worker{'s' if count > 1 else ''}"
        parts.append(f"{label}: {where}")
    return "; ".join(parts) if parts else "no process could report where it waited"


LIMIT_ERRORS = {
    "[Errno 27]": " (a file reached the sandbox's file size limit)",
    "[Errno 28]": " (the run's disk limit was reached)",
    "[Errno 24]": " (the sandbox's limit on open files was reached)",
    "[Errno 11] Resource temporarily unavailable": " (no more processes may be started: the process limit)",
    "MemoryError": " (the sandbox's memory limit was reached)",
    "Can't pickle local object": " (a nested function or lambda cannot be sent to a process under spawn or "
    "forkserver: define the target at module level)",
    "Can't pickle <function <lambda>": " (a lambda cannot be sent to a process under spawn or forkserver: "
    "define the target at module level)",
    "Can't get attribute": " (the child process re-imported your module and did not find this name: define it at "
    "module level, not at run time)",
}


def limit_notes(result: RunResult) -> str:
    """What the sandbox's limits did to this run, in words ('' when nothing)."""
    notes = []
    limits = result.limits
    if result.oom_kills:
        cap = f" of {limits.max_memory_mb} MiB" if limits else ""
        notes.append(f"the memory limit{cap} was reached and {result.oom_kills} process(es) were killed (SIGKILL)")
    if result.disk_full:
        size = f"{limits.max_disk_mb} MiB, " if limits else ""
        notes.append(
            f"the run wrote {size}the disk limit: everything a run writes (its /tmp, /var/tmp and working "
            "directory) shares it; write less, or delete what you no longer need"
        )
    if result.process_cap_hits:
        cap = f" of {limits.max_processes}" if limits else ""
        notes.append(f"the process limit{cap} was reached: {result.process_cap_hits} fork(s) were refused")
    for name, output in (("stdout", result.stdout), ("stderr", result.stderr)):
        if output.dropped_bytes:
            notes.append(
                f"{name} was cut after {len(output.text.encode()) // 1024} KiB "
                f"({output.dropped_bytes} more bytes dropped)"
            )
    return f" [{'; '.join(notes)}]" if notes else ""


def explain(result: RunResult, what: str, exercise: Exercise, hang_hint: str = "") -> str:
    """A student-facing sentence for a run that did not return a value."""
    return _explain(result, what, exercise, hang_hint) + limit_notes(result)


def _explain(result: RunResult, what: str, exercise: Exercise, hang_hint: str = "") -> str:
    error = result.error
    if result.outcome == "raised" and error is not None:
        if error.phase == "lookup":
            expected = exercise.signatures.get(what.split("(")[0], what)
            return f"{exercise.filename} has no function {what}: define `def {expected}:`"
        if error.phase == "bind":
            expected = exercise.signatures.get(what.split("(")[0], what)
            return f"{what} cannot be called as the exercise says ({error.message}); expected `{expected}`"
        if error.type == "NotImplementedError":
            where = _where(error.frames)
            return f"{what} is not written yet (it raises NotImplementedError{where}): write it as its docstring says"
        mismatch = _signature_mismatch(result, what, exercise)
        if error.type == "TypeError" and mismatch:
            return mismatch
        if error.type == "ChildProcessError":
            return f"{error.message}{_stderr_tail(result)}"
        hint = next((words for marker, words in LIMIT_ERRORS.items() if marker in f"{error.type}{error.message}"), "")
        return f"{what} raised {error.type}: {error.message}{_where(error.frames)}{hint}"
    if result.outcome == "timeout":
        hint = f". Likely fix: {hang_hint}" if hang_hint else ""
        return (
            f"{what} did not return: {result.hang or 'it hung'}. Where each process waited: "
            f"{describe_hang(result)}{hint}"
        )
    if result.outcome == "unsendable" and (result.unsendable_type or "").startswith("value of"):
        return f"{what} returned a {result.unsendable_type}"
    if result.outcome == "unsendable":
        return (
            f"{what} returned a {result.unsendable_type}, not a plain value: "
            f"convert it (e.g. list(...) or dict(...)) before returning"
        )
    if result.outcome == "load_error" and error is not None:
        return f"importing {exercise.filename} failed: {error.type}: {error.message}{_where(error.frames)}"
    return (
        f"the process running {what} died before returning ({signal_words(result.exit_status)}){_stderr_tail(result)}"
    )


def _parameters(signature: str) -> list[str]:
    inside = signature[signature.index("(") + 1 : signature.rindex(")")]
    return [part.split(":")[0].split("=")[0].strip() for part in inside.split(",") if part.strip()]


def _signature_mismatch(result: RunResult, what: str, exercise: Exercise) -> str | None:
    """'fill_squares(arr, start) cannot be called ...' when the parameters differ from the contract."""
    name = what.split("(")[0]
    expected, actual = exercise.signatures.get(name), result.functions.get(name)
    if expected is None or actual is None or "(" not in actual:
        return None
    if _parameters(actual) == _parameters(expected):
        return None
    return f"{name}{actual.split(' ->')[0]} cannot be called as the exercise says; expected `{expected}`"


def _stderr_tail(result: RunResult) -> str:
    tail = [line.strip() for line in result.stderr.text.strip().splitlines()[-2:] if line.strip()]
    return f"; stderr ends with: {' | '.join(tail)}" if tail else ""


def call_cause(result: RunResult) -> str:
    """The cause code (see :mod:`grader.checks.causes`) of a run that did not return a value."""
    error = result.error
    if result.outcome == "raised" and error is not None:
        if error.phase in ("lookup", "bind"):
            return "missing-function" if error.phase == "lookup" else "wrong-signature"
        return "not-implemented" if error.type == "NotImplementedError" else "raised"
    if result.outcome == "timeout":
        return hang_cause(result)
    simple = {"load_error": "import-failed", "unsendable": "unsendable-return", "crashed": "crashed"}
    return simple.get(result.outcome, "crashed")


def hang_cause(result: RunResult) -> str:
    """What a hung tree was doing, as a cause code: the caller in ``join`` while a child
    still puts or sends is the classic deadlock of joining before draining."""
    main = [s for s in result.stacks if s.role == "main"]
    children = [s for s in result.stacks if s.role == "worker"]
    if any(_waits_in(s, "join") for s in main):
        if any(_waits_in(s, "put", "send", "_wait_for_tstate_lock") for s in children):
            return "joined-before-drain"
        return "hang-in-join"
    if any(_waits_in(s, "get", "recv") for s in main):
        return "waited-for-missing-result"
    return "hang"


def _waits_in(stack: Any, *names: str) -> bool:
    frame = stack.student_frames[-1] if stack.student_frames else None
    text = frame.text if frame else ""
    function = stack.blocked_in.rsplit(" ", 1)[-1]  # "multiprocessing/process.py:149 join"
    return any(f".{name}(" in text or name in function for name in names)


def location(result: RunResult) -> dict[str, Any]:
    """Where in the student's files a failed run points: ``{"file": ..., "line": ...}`` or ``{}``."""
    if result.error is not None and result.error.frames:
        frame = result.error.frames[-1]
        return {"file": frame["file"], "line": frame["line"]}
    for stack in sorted(result.stacks, key=lambda s: s.role != "main"):
        if stack.student_frames:
            innermost = stack.student_frames[-1]
            return {"file": Path(innermost.file).name, "line": innermost.line}
    return {}


def value_of(result: RunResult, what: str, exercise: Exercise, hang_hint: str = "") -> Any:
    """The returned value, or a SubmissionError that explains why there is none."""
    if result.outcome != "returned":
        raise SubmissionError(
            explain(result, what, exercise, hang_hint),
            outcome=result.outcome,
            cause=call_cause(result),
            **location(result),
        )
    if result.oom_kills or result.process_cap_hits or result.disk_full:
        notes = limit_notes(result).strip(" []")
        raise SubmissionError(f"{what} returned, but {notes}", outcome="limit", cause="sandbox-limit")
    return result.value


def check_reported_pids(result: RunResult, pids: list[int], expected_distinct: int) -> dict[str, Any]:
    """Reported worker pids must be processes the grader saw, other than the caller."""
    seen_workers = result.worker_own_pids()
    main = result.main_own_pid
    if main in pids:
        raise CheckFailed(
            f"{pids.count(main)} task(s) ran in the calling process (pid {main}), "
            "not in a child process: hand the work to the pool/processes instead of calling the function directly",
            main_pid=main,
            cause="ran-in-caller",
        )
    forged = sorted({pid for pid in pids if pid not in seen_workers})
    if forged:
        raise CheckFailed(
            f"reported worker pids {', '.join(map(str, forged[:5]))} never existed as child processes of this run: "
            "return os.getpid() from inside the worker",
            reported=sorted(set(pids)),
            observed=sorted(seen_workers),
            cause="forged-pids",
        )
    distinct = len(set(pids))
    if distinct < expected_distinct:
        raise CheckFailed(
            f"only {distinct} distinct worker process(es) ran the tasks; the call asked for {expected_distinct} "
            "working at once: pass the worker count through to the pool",
            distinct=distinct,
            expected=expected_distinct,
            cause="too-few-workers",
        )
    return {"distinct_workers": distinct, "observed_workers": len(seen_workers)}


def check_nothing_left(result: RunResult, what: str) -> dict[str, Any]:
    """Cleanup: every worker must be gone when the call returned."""
    if result.outcome != "returned":
        raise SubmissionError(f"cleanup cannot be judged: {what} did not return", cause="did-not-return")
    if result.left_running:
        pids = ", ".join(str(p.pid) for p in result.left_running[:5])
        raise CheckFailed(
            f"{len(result.left_running)} child process(es) were still running when {what} returned (pids {pids}): "
            "join them, or use the pool/executor in a `with` block so it shuts down",
            left_running=[p.pid for p in result.left_running],
            cause="left-running",
        )
    return {"workers_seen": len(result.workers())}


def empty_runs(submission: Submission, names: Iterable[str]) -> tuple[RunResult, ...]:
    """Each named function called with ``[]``, one after another in one sandbox."""
    return submission.calls(*(Call(name, ([],)) for name in names))


def check_empty_inputs(submission: Submission, expected: dict[str, Any]) -> None:
    """Each named function called with ``[]`` (in one sandbox) must return its expected empty value."""
    names = list(expected)
    for name, result in zip(names, empty_runs(submission, names), strict=True):
        value = value_of(result, f"{name}([])", submission.exercise)
        if value != expected[name] or type(value) is not type(expected[name]):
            raise CheckFailed(
                f"{name}([]) should return {expected[name]!r}; it returned {value!r}", cause="wrong-empty-result"
            )


def primes_below(limit: int) -> int:
    """The grader's own count of primes below ``limit`` (a sieve, independent of the submission)."""
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return sum(sieve)


def decreasing_factors(numbers: list[int], spread: float = 0.6) -> dict[int, float]:
    """Sleep factors that make earlier inputs finish later (so completion order != input order)."""
    last = max(1, len(numbers) - 1)
    return {n: 1.0 + spread * (last - i) / last for i, n in enumerate(numbers)}


def rendezvous(numbers: list[int], k: int) -> SleepSpec:
    return SleepSpec(MAGIC_DELAY, k=k, timeout=5.0, factors=decreasing_factors(numbers))
