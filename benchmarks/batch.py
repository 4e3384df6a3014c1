"""Batch benchmark: a class graded one `mpgrade grade` at a time, then by `mpgrade batch`.

Prints both throughputs, the share of a grading that must have the machine alone (the
speedup measurements, from ``MPGRADE_RUN_LOG``) and the bound that share puts on any
overlap (1 / share), the bound the machine's CPU puts on it (the serial loop's wall time
over the time its whole-machine CPU takes on every core, from ``/proc/stat``), how long the
batch had the machine alone and drained it before (a block of exclusive runs waits for the
shared runs in flight to end, and new ones wait meanwhile), whether
both gave the same verdict on every check judged in both, then the batch process's peak
memory and the gradebook's size per submission for a small and a large class
(``--scale``, graded on one fast exercise).
Repeated ``--at-once``/``--jobs`` grade the class once per combination against one serial loop.

    python benchmarks/batch.py                      # 12 mixed submissions, all nine exercises
    python benchmarks/batch.py --at-once 2 --at-once 3 --jobs 4 --jobs 6   # each batch setting against one serial loop
    python benchmarks/batch.py --scale 12,120       # memory and gradebook size as the class grows
    python benchmarks/batch.py --dask local:2       # 1 and 2 Dask workers against the serial loop; Dask's overhead
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_cpu import busy_between, busy_seconds  # noqa: E402

from grader.environment import usable_cpus  # noqa: E402
from grader.sandbox import runlog  # noqa: E402

FLAWED = ["decoy_tasks", "decoy_shared", "deadlock", "racy_doors", "burner", "uneven_chunks"]


def make_class(folder: Path, size: int) -> list[str]:
    """``size`` students: reference solutions, stubs and flawed submissions, in turn."""
    sources = [ROOT / "solutions", ROOT / "exercises", *(ROOT / "tests" / "submissions" / name for name in FLAWED)]
    sources = [s for s in sources if s.is_dir()]
    students = []
    for index in range(size):
        source = sources[index % len(sources)] if index % 3 else ROOT / "solutions"
        student = f"s{index:03d}-{source.name}"
        shutil.copytree(source, folder / student, ignore=shutil.ignore_patterns("expected.json", "__pycache__"))
        students.append(student)
    return students


def run(command: list[str], log: Path | None = None) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Wall time and peak RSS (bytes) of the command's own process."""
    env = {**os.environ, "NO_COLOR": "1"}
    if log is not None:
        env[runlog.LOG_VAR] = str(log)
    peak = 0
    begun = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = psutil.Process(process.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, watcher.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = process.communicate()
    done.set()
    thread.join()
    return time.monotonic() - begun, peak, subprocess.CompletedProcess(command, process.returncode, out, err)


def batch_command(folder: Path, book: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "grader", "batch", str(folder), "--gradebook", str(book), "-q", *options]


def exclusive_share(log: Path, wall: float) -> float:
    runs = runlog.read(str(log)) if log.exists() else []
    return sum(r.ended - r.granted for r in runs if r.exclusive) / wall if wall else 0.0


BACK_TO_BACK_S = 0.05  # exclusive runs closer than this belong to one block (one measurement)


def drains(log: Path) -> tuple[float, list[float]]:
    """Seconds with the machine alone, and before each block of exclusive runs the time from
    the last shared run started to the block's start: new shared runs wait while a block waits
    for the runs in flight to end, so the machine mostly idles then."""
    runs = runlog.read(str(log)) if log.exists() else []
    blocks: list[list[float]] = []
    for r in sorted((r for r in runs if r.exclusive), key=lambda r: r.granted):
        if blocks and r.granted - blocks[-1][1] < BACK_TO_BACK_S:
            blocks[-1][1] = r.ended
        else:
            blocks.append([r.granted, r.ended])
    starts = [r.granted for r in runs if not r.exclusive]
    waits = [begin - max(earlier) for begin, _ in blocks if (earlier := [s for s in starts if s <= begin])]
    return sum(end - begin for begin, end in blocks), waits


def serial_verdicts(
    folder: Path, students: list[str], scratch: Path, extra: list[str]
) -> tuple[float, float | None, dict, Path]:
    log = scratch / "serial-runs.jsonl"
    verdicts: dict[tuple[str, str, str], str] = {}
    wall = 0.0
    busy = busy_seconds()
    for student in students:
        report = scratch / f"{student}.json"
        seconds, _, _ = run(
            [sys.executable, "-m", "grader", "grade", str(folder / student), "-q", "--json", str(report), *extra], log
        )
        wall += seconds
        for exercise in json.loads(report.read_text())["exercises"]:
            for check in exercise["checks"]:
                verdicts[(student, exercise["id"], check["id"])] = check["status"]
    return wall, busy_between(busy, busy_seconds()), verdicts, log


def batch_verdicts(book: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    """Each check's status and message in the gradebook (the latest grading counts)."""
    with sqlite3.connect(book) as db:
        rows = db.execute(
            "SELECT s.student, c.exercise, c.check_id, c.status, c.message FROM check_results c "
            "JOIN gradings g ON g.id = c.grading JOIN submissions s ON s.id = g.submission "
            "ORDER BY g.id"
        ).fetchall()
    return {(student, exercise, check): (status, message) for student, exercise, check, status, message in rows}


def compare(serial: dict, batch: dict) -> tuple[int, list[str]]:
    """Checks judged (neither skipped) in both, and each that differs with the batch's message."""
    judged, differ = 0, []
    for key, status in serial.items():
        other, message = batch.get(key, (None, ""))
        if other is None or "skipped" in (status, other):
            continue
        judged += 1
        if other != status:
            differ.append(f"{'/'.join(key)}: serial {status}, batch {other}: {message[:300]}")
    return judged, differ


@dataclass(frozen=True)
class Baseline:
    """A class made in a scratch folder, graded one `mpgrade grade` at a time."""

    scratch: Path
    folder: Path
    students: list[str]
    extra: list[str]  # the -e options
    wall: float
    cpu: float | None  # the whole machine's busy CPU seconds during the serial loop
    verdicts: dict[tuple[str, str, str], str]
    log: Path


@contextlib.contextmanager
def serial_baseline(args: argparse.Namespace) -> Iterator[Baseline]:
    scratch = Path(tempfile.mkdtemp(prefix="mpgrade-bench-"))
    try:
        folder = scratch / "class"
        students = make_class(folder, args.size)
        extra = [arg for e in args.exercise for arg in ("-e", e)]
        wall, cpu, verdicts, log = serial_verdicts(folder, students, scratch, extra)
        yield Baseline(scratch, folder, students, extra, wall, cpu, verdicts, log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def throughput(args: argparse.Namespace) -> None:
    with serial_baseline(args) as base:
        serial_wall, serial, students = base.wall, base.verdicts, base.students
        share = exclusive_share(base.log, serial_wall)
        bound = 1 / share if share else float("inf")
        print(f"{args.size} submissions ({', '.join(sorted({s.split('-', 1)[1] for s in students}))})")
        print(f"  serial `mpgrade grade` loop: {serial_wall:.1f} s, {args.size / serial_wall * 60:.1f} per minute")
        print(f"  share of a grading with the machine alone: {share:.1%}; bound on any overlap: {bound:.2f}x")
        if base.cpu:
            cores = usable_cpus()
            print(
                f"  whole machine busy during the loop: {base.cpu:.1f} CPU-s, {base.cpu / args.size:.2f} per "
                f"submission, {base.cpu / (cores * serial_wall):.0%} of {cores} cores; bound the CPU puts on any "
                f"overlap: {cores * serial_wall / base.cpu:.2f}x"
            )
        jobs = args.jobs or [None]
        for index, (at_once, job) in enumerate((a, j) for a in args.at_once or [2] for j in jobs):
            options = ["--at-once", str(at_once), *(["--jobs", str(job)] if job else [])]
            book, batch_log = base.scratch / f"class-{index}.db", base.scratch / f"batch-runs-{index}.jsonl"
            busy = busy_seconds()
            batch_wall, peak, done = run(batch_command(base.folder, book, *options, *base.extra), batch_log)
            batch_cpu = busy_between(busy, busy_seconds())
            if done.returncode != 0:
                print(done.stdout, done.stderr)
            judged, differ = compare(serial, batch_verdicts(book))
            speedup = serial_wall / batch_wall
            print(
                f"  `mpgrade batch {' '.join(options)}`: {batch_wall:.1f} s, {args.size / batch_wall * 60:.1f} per "
                f"minute; batch / serial throughput {speedup:.2f}x, {speedup / bound:.0%} of the bound"
            )
            if batch_cpu:
                cores = usable_cpus()
                used = batch_cpu / (cores * batch_wall)
                print(f"    whole machine busy: {batch_cpu:.1f} CPU-s, {used:.0%} of {cores} cores")
            alone, waits = drains(batch_log)
            if waits:
                print(
                    f"    machine alone {alone:.1f} s in {len(waits)} blocks; drained before them "
                    f"{sum(waits):.1f} s (longest {max(waits):.1f} s)"
                )
            gaps = sorted(r.sample_gap_s for r in runlog.read(str(batch_log)) if not r.exclusive)
            if gaps:
                print(
                    f"    longest time between two observer samples of a shared run: median "
                    f"{1000 * gaps[len(gaps) // 2]:.0f} ms, max {1000 * gaps[-1]:.0f} ms ({len(gaps)} runs)"
                )
            print(f"    checks judged in both: {judged}; different verdicts: {len(differ)}")
            for line in differ:
                print(f"      {line}")
            print(
                f"    batch process peak RSS {peak / 2**20:.0f} MiB; gradebook "
                f"{book.stat().st_size / args.size / 1024:.0f} KiB per submission"
            )


def task_overhead(tasks: int = 60) -> tuple[float, float]:
    """Dask's own cost: seconds to start a one-worker LocalCluster, and per task (a no-op task
    with the grading resource, submitted and its result gathered one at a time)."""
    from distributed import Client, LocalCluster

    begun = time.monotonic()
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, resources={"grading": 1}, dashboard_address=None)
    with cluster, Client(cluster) as client:
        started = time.monotonic() - begun
        client.submit(len, b"warm", resources={"grading": 1}, pure=False).result()
        begun = time.monotonic()
        for index in range(tasks):
            client.submit(len, b"x" * 20_000, resources={"grading": 1}, pure=False, key=f"t{index}").result()
        return started, (time.monotonic() - begun) / tasks


def dask_throughput(args: argparse.Namespace) -> None:
    workers = int(args.dask.removeprefix("local:"))
    with serial_baseline(args) as base:
        folder, extra, serial_wall, serial, scratch = base.folder, base.extra, base.wall, base.verdicts, base.scratch
        print(f"{args.size} submissions ({', '.join(extra) or 'all exercises'}) on {os.cpu_count()} cores")
        print(f"  serial `mpgrade grade` loop: {serial_wall:.1f} s ({serial_wall / args.size:.2f} s per submission)")
        plain = scratch / "plain.db"
        wall, _, _ = run(batch_command(folder, plain, "--at-once", "1", *extra))
        print(f"  `mpgrade batch --at-once 1` (no Dask): {wall:.1f} s")
        for count in sorted({1, workers}):
            book = scratch / f"dask-{count}.db"
            command = batch_command(folder, book, "--dask", f"local:{count}", *extra)
            wall_k, peak, done = run(command)
            judged, differ = compare(serial, batch_verdicts(book))
            print(
                f"  `--dask local:{count}`: {wall_k:.1f} s, {args.size / wall_k * 60:.1f} per minute "
                f"({serial_wall / wall_k:.2f}x the serial loop); verdicts judged in both {judged}, different "
                f"{len(differ)}; client peak RSS {peak / 2**20:.0f} MiB (exit {done.returncode})"
            )
            for line in differ:
                print(f"    {line}")
        started, per_task = task_overhead()
        print(
            f"  Dask itself: a one-worker LocalCluster starts in {started:.2f} s; {per_task * 1000:.1f} ms per task "
            "(submit, schedule, run a no-op with 20 kB of files, gather)"
        )


def scale(sizes: list[int], exercise: str) -> None:
    print(f"memory as the class grows (graded on {exercise}):")
    for size in sizes:
        scratch = Path(tempfile.mkdtemp(prefix="mpgrade-bench-"))
        try:
            folder = scratch / "class"
            make_class(folder, size)
            book = scratch / "class.db"
            wall, peak, done = run(batch_command(folder, book, "-e", exercise))
            print(
                f"  {size:4d} submissions: {wall:6.1f} s, batch peak RSS {peak / 2**20:5.0f} MiB, gradebook "
                f"{book.stat().st_size / size / 1024:.0f} KiB per submission (exit {done.returncode})"
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=12, help="submissions in the throughput comparison")
    parser.add_argument(
        "--at-once", type=int, action="append", help="as mpgrade batch --at-once (default 2); repeat to compare"
    )
    parser.add_argument(
        "--jobs", type=int, action="append", help="as mpgrade batch --jobs (default: mpgrade's); repeat to compare"
    )
    parser.add_argument("-e", "--exercise", action="append", default=[], help="exercises (default: all)")
    parser.add_argument("--scale", default="", help="comma-separated class sizes for the memory figures")
    parser.add_argument("--scale-exercise", default="ex08_array")
    parser.add_argument("--dask", help="local:N: throughput with 1 and N local Dask workers, and Dask's overhead")
    args = parser.parse_args()
    if args.dask:
        dask_throughput(args)
    elif args.scale:
        scale([int(n) for n in args.scale.split(",")], args.scale_exercise)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
