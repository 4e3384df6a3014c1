"""Parent side of a sandbox: start a fresh interpreter, talk to it, watch it, end it.

Every run of student code is one fresh interpreter in a new session, started with the
instrumentation of ``boot/`` on its path, watched by a :class:`TreeObserver` and timed
by the grader's own clock. When the run ends (returned, raised, crashed or timed out)
every process of its tree is killed, including processes that escaped into a new
session or were reparented to the grader, which makes itself their subreaper.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader import tempdirs
from grader.errors import SandboxError
from grader.sandbox import evidence, machine, runlog, subreaper, warm
from grader.sandbox.boot import _mpgrade_wire as wire
from grader.sandbox.isolation import Plan, boot_copy, plan
from grader.sandbox.observer import ProcessRecord, TreeObserver, source_named
from grader.sandbox.results import MAX_API_EVENTS, ApiEvent, ErrorInfo, RunRequest, RunResult, WatchedCall
from grader.sandbox.scratch import Scratch, copy_submission
from grader.sandbox.stacks import ProcessStack, parse_dump
from grader.sandbox.streams import MessageReader, OutputReader

BOOT_DIR = Path(__file__).resolve().parent / "boot"
HARNESS = BOOT_DIR / "_mpgrade_harness.py"
STACK_WAIT_S = 0.4
STALL_POLL_S = 0.25


def _child_pause(request: RunRequest) -> float:
    """How long each child of the run waits as it starts (then until the grader has seen it)."""
    return max(request.min_lifetime_s, (request.amplify or {}).get("child_pause", 0.0))


def _environment(request: RunRequest, scratch: Path, boot: Path, directory: Path) -> dict[str, str]:
    config: dict[str, Any] = {"start_method": request.start_method, "stacks_dir": str(scratch / "stacks")}
    if request.sleep is not None:
        config["sleep"] = {
            "magic": request.sleep.magic,
            "k": request.sleep.k,
            "timeout": request.sleep.timeout,
            "dir": str(scratch / "rendezvous"),
            "factors": request.sleep.factors,
        }
    if request.amplify:
        config["amplify"] = request.amplify
    config["child_pause"] = _child_pause(request)
    if config["child_pause"]:
        config["seen_dir"] = str(scratch / Scratch.SEEN)
    if request.barrier > 1:
        config["barrier"] = {"k": request.barrier, "dir": str(scratch / "barrier"), "timeout": 5.0}
    if request.record_api:
        config["api"] = {"dir": str(scratch / "api"), "submission": str(directory)}
    if request.watch:
        config["watch"] = {"dir": str(scratch / "calls"), "module": request.module, "functions": list(request.watch)}
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(scratch / "work"),
        "TMPDIR": str(scratch / "work"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(boot),  # the submission's folder goes last on sys.path (the harness adds it)
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "MPGRADE_SANDBOX": json.dumps(config),
        **({"MPGRADE_TAG": os.environ["MPGRADE_TAG"]} if os.environ.get("MPGRADE_TAG") else {}),
    }


class Run:
    """One sandbox run in progress; use :func:`run` rather than this class."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        layers = request.isolation.layers if request.isolation is not None else None
        self.private_fs = bool(layers and layers.private_fs)
        self.scratch = Scratch(tempdirs.make("run"), self.private_fs)
        self.scratch.create(user=layers.uid if layers else None)
        self.plan: Plan | None = None
        self.directory = request.directory.resolve()  # the submission as the run sees it
        self.readable_directory = self.directory  # and as the grader reads it
        self.boot = BOOT_DIR
        if request.isolation is not None:
            copy_submission(request.directory, self.scratch.submission)
            self.readable_directory = self.scratch.submission
            self.directory = self.scratch.inside / "submission"
            self.boot = self.scratch.boot

    def evidence(self, name: str) -> Path:
        """A directory the run writes its evidence into, as the grader reaches it."""
        return self.scratch.seen_from_grader(self.proc.pid if self.private_fs else None, name)

    def launch(self) -> None:
        self.ready_at: float | None = None
        self.helpers_named = False
        self.loaded = False
        self.oom_kills = 0
        self.cap_hits = 0
        ctl_read, self.ctl_write = os.pipe()
        result_read, result_write = os.pipe()
        python = sys.executable
        prefix: tuple[str, ...] = ()
        if self.request.isolation is not None:
            self.plan = plan(self.request.isolation, self.scratch)
            prefix, python = self.plan.prefix, self.plan.python
        harness = self.boot / HARNESS.name
        env = _environment(self.request, self.scratch.inside, self.boot, self.directory)
        try:
            warm_start = self._start_warm(env, harness, ctl_read, result_write)
            if warm_start is not None:
                self.proc: warm.WarmProcess | subprocess.Popen[bytes] = warm_start
            else:
                command = [*prefix, python, "-B", "-X", "faulthandler", str(harness), str(ctl_read), str(result_write)]
                self.proc = subprocess.Popen(
                    command,
                    pass_fds=(ctl_read, result_write),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=self.scratch.work,
                    env=env,
                    start_new_session=True,
                )
        except OSError as error:
            raise SandboxError(f"cannot start the sandbox interpreter {sys.executable}: {error}") from error
        finally:
            os.close(ctl_read)
            os.close(result_write)
        self.observer = TreeObserver(
            self.proc.pid,
            jailed=bool(self.plan and self.plan.pidns),
            baseline_children=frozenset(subreaper.own_children()) - {self.proc.pid},
            claim_all_orphans=self.request.exclusive or machine.slots() == 1,
            on_new=self._mark_seen if _child_pause(self.request) else None,  # no pause (timed runs): none waits
            source=source_named(self.request.observer),
        )
        self.observer.start()
        self.out = OutputReader(self.proc.stdout)
        self.err = OutputReader(self.proc.stderr)
        self.messages = MessageReader(result_read)
        for thread in (self.out, self.err, self.messages):
            thread.start()

    def _start_warm(self, env: dict[str, str], harness: Path, ctl: int, result: int) -> warm.WarmProcess | None:
        """The run forked by the warm launcher (the jail's PID namespace is required); None
        when it is off or unavailable, and the run starts cold."""
        if self.plan is None or not self.plan.pidns or not warm.enabled():
            return None
        try:
            return warm.spawn(
                self.plan.python,
                boot_copy(),
                self.plan.spec,
                env,
                str(self.scratch.work),
                str(self.boot),
                str(harness),
                ctl,
                result,
            )
        except warm.LauncherGone:
            return None

    def _mark_seen(self, own_pid: int) -> None:
        """Tell a process of the run that the observer has seen it: a child's start pause lasts
        until then (up to a bound), however late a busy machine lets the observer look."""
        with contextlib.suppress(OSError):
            os.close(os.open(self.scratch.seen / str(own_pid), os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644))

    def control(self, kind: str, **fields: Any) -> None:
        # If the harness is gone, writing fails; its absence is reported by the message stream.
        with contextlib.suppress(OSError):
            os.write(self.ctl_write, wire.dump_message(kind, **fields))

    def send_request(self) -> None:
        calls = [
            {
                "target": c.target,
                "name": c.name,
                "args": wire.encode_value(list(c.args)),
                "kwargs": wire.encode_value(dict(c.kwargs)),
            }
            for c in self.request.calls
        ]
        self.control(
            wire.REQUEST,
            module=self.request.module,
            directory=str(self.directory),
            calls=calls,
            load=self.request.load_submission,
        )

    def next_message(self, deadline: float) -> tuple[str, float, dict[str, Any]]:
        """The next message as (kind, stamp, message); kind 'timeout' or 'crashed' when none came."""
        while True:
            kind, stamp, message = self._next_message(deadline)
            if kind == wire.READY and self.ready_at is None:
                self.ready_at = stamp  # start-up is over: noted, not reported as an outcome
            elif kind == wire.HELPERS:
                self._name_helpers(message)
            else:
                if kind in (wire.LOADED, wire.LOAD_ERROR):
                    self.loaded = True
                return kind, stamp, message

    def _name_helpers(self, message: dict[str, Any]) -> None:
        """The helpers the harness started before the import: taken from the first such message
        only, and only before the import's outcome (the submission's code, which can write to
        the harness's pipe, runs from the import on)."""
        if self.helpers_named or self.loaded:
            return
        self.helpers_named = True
        pids = message.get("pids")
        if isinstance(pids, list) and all(type(pid) is int for pid in pids):
            self.observer.mark_helpers(frozenset(pids))

    def _next_message(self, deadline: float) -> tuple[str, float, dict[str, Any]]:
        try:
            stamp, message = self.messages.messages.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return "timeout", time.monotonic(), {}
        if message is None:
            self.messages.messages.put((stamp, None))  # keep reporting the end to later readers
            return "crashed", stamp, {}
        if message["kind"] not in wire.HARNESS_KINDS:
            return "crashed", stamp, {"garbled": message["kind"]}
        return str(message["kind"]), stamp, message

    def load(self) -> tuple[str, dict[str, Any]]:
        """Wait for the import: 'loaded', 'load_error', 'timeout' or 'crashed'."""
        kind, _, message = self.next_message(time.monotonic() + self.request.timeout)
        return kind, message

    def converse(self) -> tuple[str, float | None, float | None, dict[str, Any]]:
        """Collect one call's messages: (outcome, started_at, returned_at, final message).

        The outcome is 'timeout' when the call outlives the request's timeout, or when for
        ``stall_s`` seconds no process of the tree used CPU, woke up, started or ended (every
        process waiting: a deadlock, reported long before the timeout).
        """
        deadline = time.monotonic() + self.request.timeout
        started: float | None = None
        progress, progress_at = self.progress(), time.monotonic()
        while True:
            now = time.monotonic()
            kind, stamp, message = self.next_message(min(deadline, now + STALL_POLL_S))
            if kind == wire.STARTED:
                started = stamp
                continue
            if kind in (wire.RETURNED, wire.RAISED, wire.UNSENDABLE):
                return kind, started, stamp, message
            if kind != "timeout":
                return "crashed", started, None, message
            if time.monotonic() >= deadline:
                return "timeout", started, None, {"limit_s": self.request.timeout}
            now_progress = self.progress()
            if now_progress != progress:
                progress, progress_at = now_progress, time.monotonic()
            elif self.request.stall_s and time.monotonic() - progress_at >= self.request.stall_s:
                return "timeout", started, None, {"stalled_s": self.request.stall_s}

    def progress(self) -> tuple[int, frozenset[int], int]:
        """What changes while any process of the tree does anything: the CPU ticks used, the
        processes alive, and how often their main threads woke. A process that sleeps in short
        steps (a loop of ``time.sleep``) uses less than a tick of CPU for seconds, but wakes."""
        alive = self.observer.alive()
        return self.observer.total_cpu(), alive, sum(self.observer.source.wakeups(pid) for pid in alive)

    def leftovers(self) -> tuple[ProcessRecord, ...]:
        alive = set(self.observer.sample())
        return tuple(r for r in self.observer.records() if r.pid in alive and r.role == "worker")

    def dump_stacks(self) -> tuple[ProcessStack, ...]:
        """Ask every live process of the tree for its stacks (SIGUSR1), then parse them."""
        alive = set(self.observer.sample())
        records = [r for r in self.observer.records() if r.pid in alive and r.role != "jail"]
        for record in records:
            with contextlib.suppress(OSError):
                os.kill(record.pid, signal.SIGUSR1)
        time.sleep(STACK_WAIT_S)
        stacks = []
        for record in records:
            dump = evidence.read(self.evidence("stacks") / f"{record.own_pid}.txt")  # named by its own pid
            if dump and dump.strip():
                stacks.append(parse_dump(record.pid, record.role, dump, self.directory, self.readable_directory))
        return tuple(stacks)

    def _let_helpers_finish(self, limit_s: float = 1.0) -> None:
        """Give the resource tracker a moment to unlink what the run left, as it does at exit."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            alive = set(self.observer.sample())
            if not any(r.pid in alive and r.role == "helper" for r in self.observer.records()):
                return
            time.sleep(0.01)

    def _disk_full(self) -> bool:
        """Did the run fill its private disk (less than 1 MiB left)? Read while the run lives."""
        if not self.private_fs:
            return False
        try:
            usage = os.statvfs(self.evidence("."))
        except OSError:
            return False
        return usage.f_bavail * usage.f_frsize < (1 << 20)

    def finish(self, graceful: bool) -> tuple[ProcessRecord, ...]:
        """Let the harness leave (if it is still listening), kill what is left; returns the records."""
        self.disk_full = self._disk_full()
        self.control(wire.EXIT)
        if graceful:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=2.0)
        private_shm = self.request.isolation is not None and self.request.isolation.layers.private_shm
        if not private_shm:
            # Without a /dev/shm of its own, let the resource tracker unlink the semaphores and
            # segments of the run (it does when the other processes are gone) before it dies.
            helpers = {r.pid for r in self.observer.records() if r.role == "helper"}
            subreaper.kill_tree(self.proc.pid, self.observer, spare=frozenset(helpers))
            self._let_helpers_finish()
        group = self.plan.cgroup if self.plan else None
        if group is not None:
            group.kill()
        subreaper.kill_tree(self.proc.pid, self.observer)
        if group is not None:
            self.oom_kills = group.oom_kills()
            self.cap_hits = group.process_cap_hits()
            group.remove()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.ctl_write)
        records = self.observer.stop()
        for thread in (self.out, self.err, self.messages):
            thread.join(timeout=5.0)
        return records

    def api_events(self) -> tuple[ApiEvent, ...]:
        """The API calls the submission's code made since the last look."""
        return tuple(ApiEvent.parse_lines(evidence.take_lines(self.evidence("api"), 1 << 20))[:MAX_API_EVENTS])

    def watched_calls(self) -> tuple[WatchedCall, ...]:
        """The calls of watched worker functions since the last look."""
        return tuple(WatchedCall.parse_lines(evidence.take_lines(self.evidence("calls"))))

    def sleepers(self) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
        """Pids that reached the rendezvous, and for each task ``n`` the pids that slept for it."""
        return evidence.sleepers(self.evidence("rendezvous"))

    def cleanup(self) -> None:
        shutil.rmtree(self.scratch.path, ignore_errors=True)


def _error_info(message: dict[str, Any]) -> ErrorInfo:
    return ErrorInfo(
        type=str(message.get("type", "?")),
        message=str(message.get("message", "")),
        frames=tuple(message.get("frames", ())),
        syntax=message.get("syntax"),
        phase=str(message.get("phase", "call")),
    )


@dataclass(frozen=True)
class _CallRecord:
    outcome: str
    started_at: float | None
    returned_at: float | None
    final: dict[str, Any]
    left_running: tuple[ProcessRecord, ...]
    stacks: tuple[ProcessStack, ...]
    api: tuple[ApiEvent, ...] = ()
    calls: tuple[WatchedCall, ...] = ()


def _converse_all(sandbox: Run) -> tuple[_CallRecord, list[_CallRecord]]:
    """The import as a record of its own, then one record per call made."""
    sandbox.send_request()
    load_kind, loaded = sandbox.load()
    records: list[_CallRecord] = []
    if load_kind != wire.LOADED:
        stacks = sandbox.dump_stacks() if load_kind == "timeout" else ()
        final = {**loaded, "limit_s": sandbox.request.timeout} if load_kind == "timeout" else loaded
        return _CallRecord(load_kind, None, None, final, (), stacks), records
    if not sandbox.request.calls:
        return _CallRecord(load_kind, None, None, loaded, sandbox.leftovers(), ()), records
    for index, _ in enumerate(sandbox.request.calls):
        outcome, started, returned, final = sandbox.converse()
        stacks = sandbox.dump_stacks() if outcome == "timeout" else ()
        left = sandbox.leftovers() if returned is not None else ()
        records.append(
            _CallRecord(outcome, started, returned, final, left, stacks, sandbox.api_events(), sandbox.watched_calls())
        )
        if returned is None:
            break
        if index + 1 < len(sandbox.request.calls):
            sandbox.control(wire.NEXT)
    return _CallRecord(load_kind, None, None, loaded, (), ()), records


def _window(records: tuple[ProcessRecord, ...], start: float | None, end: float | None) -> tuple[ProcessRecord, ...]:
    if start is None:
        return records
    stop = (end if end is not None else float("inf")) + 0.05
    return tuple(r for r in records if r.first_seen <= stop and r.last_seen >= start or r.role in ("main", "jail"))


def run_all(request: RunRequest) -> tuple[RunResult, ...]:
    """Run a request's calls one after another in one fresh sandbox; one result per call.

    With no calls the module is only imported (a single 'loaded' or 'load_error' result).
    If a call hangs or kills the interpreter, the calls after it run in fresh sandboxes.
    """
    requested = time.monotonic()
    with machine.hold(request.exclusive):  # exclusive: no other run of ours while this one is timed
        begun = time.monotonic()
        sandbox = Run(request)
        sandbox.launch()
        try:
            load, calls = _converse_all(sandbox)
            hung = load.outcome == "timeout" or any(c.outcome == "timeout" for c in calls)
            sleepers, task_sleepers = sandbox.sleepers()
            processes = sandbox.finish(graceful=not hung)
        finally:
            sandbox.cleanup()
    runlog.note(
        runlog.RunTimes(
            module=request.module,
            calls=tuple(call.name for call in request.calls),
            start_method=request.start_method,
            exclusive=request.exclusive,
            requested=requested,
            granted=begun,
            ready=sandbox.ready_at,
            ended=time.monotonic(),
            cpu_s=round(sum(p.cpu_s for p in processes), 4),
            outcome=calls[-1].outcome if calls else load.outcome,
            returned=calls[-1].returned_at if calls else None,
            sample_gap_s=round(sandbox.observer.longest_gap, 4),
        )
    )
    main = next((p for p in processes if p.role == "main"), None)
    base = RunResult(
        outcome=load.outcome,
        value=None,
        error=_error_info(load.final) if load.outcome == wire.LOAD_ERROR else None,
        functions=dict(load.final.get("functions", {})),
        api_recorded=bool(load.final.get("recorder")) and request.record_api,
        stdout=sandbox.out.output(),
        stderr=sandbox.err.output(),
        started_at=None,
        returned_at=None,
        main_pid=main.pid if main else sandbox.proc.pid,
        main_own_pid=main.own_pid if main else sandbox.proc.pid,
        oom_kills=sandbox.oom_kills,
        process_cap_hits=sandbox.cap_hits,
        disk_full=sandbox.disk_full,
        limits=request.isolation.limits if request.isolation else None,
        processes=processes,
        left_running=load.left_running,
        stacks=load.stacks,
        exit_status=sandbox.proc.returncode,
        duration_s=time.monotonic() - begun,
        sleepers=sleepers,
        task_sleepers=task_sleepers,
        hang=_hang_words(load.final) if load.outcome == "timeout" else None,
    )
    if load.outcome != wire.LOADED or not request.calls:
        return (base,)
    results = [_call_result(base, call) for call in calls]
    if len(calls) < len(request.calls):
        results.extend(run_all(replace(request, calls=request.calls[len(calls) :])))
    return tuple(results)


def _call_result(base: RunResult, call: _CallRecord) -> RunResult:
    """One call's result: the sandbox-wide facts of ``base`` with this call's own."""
    final = call.final
    return replace(
        base,
        outcome=call.outcome,
        value=wire.decode_value(final["value"]) if call.outcome == wire.RETURNED else None,
        error=_error_info(final) if call.outcome == wire.RAISED else None,
        started_at=call.started_at,
        returned_at=call.returned_at,
        processes=_window(base.processes, call.started_at, call.returned_at),
        left_running=call.left_running,
        stacks=call.stacks,
        unsendable_type=final.get("type") if call.outcome == wire.UNSENDABLE else None,
        api=call.api,
        calls=call.calls,
        hang=_hang_words(final) if call.outcome == "timeout" else None,
    )


def _hang_words(final: dict[str, Any]) -> str:
    if "stalled_s" in final:
        quiet = f"{final['stalled_s']:g} s"
        return f"no process used any CPU or woke up for {quiet}: every process was waiting (a deadlock)"
    return f"it was still running after {final.get('limit_s', 0):g} s"


def run(request: RunRequest) -> RunResult:
    """Run a request with at most one call in a fresh sandbox."""
    return run_all(request)[0]
