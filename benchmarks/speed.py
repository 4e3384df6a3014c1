"""Speed benchmark: how long grading the reference solutions takes, against its floor.

Prints, per exercise (each graded alone) and in total (all nine, end to end as a student
runs ``mpgrade grade solutions``, the median of ``--rounds``): wall time, CPU time of the
process tree as ``getrusage`` sees it and of the whole machine (``/proc/stat``: what a
grading really costs on a machine that runs nothing else), the inherent wait, the sandbox
runs made and their start-up, next to a bare ``python -c pass`` of the sandbox's
interpreter measured in the same run.

- The inherent wait is the critical path of an ideal schedule of the runs the checks
  declare (``PREFETCH`` in each check module): the runs that need the machine alone back
  to back, then the shareable ones packed ``--jobs`` at a time, each costing only what a
  correct submission must sit through, from the check's own definition
  (``grader.checks.schedule.inherent``): injected sleeps and pauses, and prime counting,
  whose CPU time is measured once here by running the grader's own serial algorithm.
  Moving items through queues and pipes is counted as free, so the floor is a low one.
- Start-up is the time from a run getting the machine to its harness being ready to
  import student code, every isolation layer on (``MPGRADE_RUN_LOG``).

    python benchmarks/speed.py --rounds 5
    python benchmarks/speed.py --rounds 5 --checkout /tmp/before   # grade with another checkout
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_cpu import busy_between, busy_seconds  # noqa: E402

from grader import catalogue  # noqa: E402
from grader.checks import schedule  # noqa: E402
from grader.config import default_jobs  # noqa: E402
from grader.environment import usable_cpus  # noqa: E402
from grader.sandbox import runlog  # noqa: E402
from grader.sandbox.isolation import JAIL, probe  # noqa: E402

BOOT = JAIL.parent  # the sandbox's boot files, the grader's serial prime count among them


@dataclass(frozen=True)
class Grading:
    wall_s: float
    cpu_s: float
    machine_cpu_s: float | None  # every core's busy time meanwhile (/proc/stat)
    runs: list[runlog.RunTimes]
    ok: bool
    output: str = ""


def bare_python(python: str, count: int = 15) -> float:
    """Median wall time of ``python -c pass``."""
    times = []
    for _ in range(count):
        begun = time.monotonic()
        subprocess.run([python, "-c", "pass"], check=True)
        times.append(time.monotonic() - begun)
    return statistics.median(times)


def primes_cpu(python: str, limits: tuple[int, ...]) -> float:
    """CPU seconds of the grader's own serial prime count of ``limits`` in the sandbox's interpreter."""
    code = (
        "import time, _mpgrade_drivers as d; t = time.process_time(); "
        f"[d._count_primes_below(n) for n in {list(limits)!r}]; print(time.process_time() - t)"
    )
    done = subprocess.run(
        [python, "-c", code], env={"PYTHONPATH": str(BOOT)}, capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def inherent(exercise_ids: list[str], jobs: int, python: str, cache: dict[tuple[int, ...], float]) -> float:
    """The critical path of an ideal schedule of the declared runs of these exercises."""
    alone, shared = 0.0, []
    cores = usable_cpus()
    for exercise_id in exercise_ids:
        module = importlib.import_module(f"grader.checks.test_{exercise_id}")
        for run in getattr(module, "PREFETCH", ()):
            cost = schedule.inherent_of(run) or schedule.Inherent()
            if cost.primes:
                if cost.primes not in cache:
                    cache[cost.primes] = primes_cpu(python, cost.primes)
                serial = cache[cost.primes]
                work = cost.rounds * (serial / min(cost.workers, cores, len(cost.primes)) + serial)
            else:
                work = 0.0
            if schedule.needs_machine_alone(run):
                alone += cost.wait_s + work
            else:
                shared.append(cost.wait_s + work)
    return alone + schedule.makespan(shared, jobs)


def grade_once(command: list[str], cwd: Path, env: dict[str, str]) -> Grading:
    with tempfile.TemporaryDirectory(prefix="mpgrade-speed-") as scratch:
        log = Path(scratch) / "runs.jsonl"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = busy_seconds()
        begun = time.monotonic()
        report = Path(scratch) / "report.json"
        command = [*command, "--json", str(report)]
        done = subprocess.run(command, cwd=cwd, env={**env, runlog.LOG_VAR: str(log)}, capture_output=True, check=False)
        wall = time.monotonic() - begun
        machine = busy_between(busy, busy_seconds())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        runs = runlog.read(str(log)) if log.exists() else []
        output = done.stdout.decode(errors="replace")[-2000:]
        if report.exists():
            output = (
                "\n".join(
                    f"    {e['id']} {c['id']}: {c['status']}: {c['message'][:300]}"
                    for e in json.loads(report.read_text())["exercises"]
                    for c in e["checks"]
                    if c["status"] != "passed"
                )
                or output
            )
    return Grading(wall, cpu, machine, runs, done.returncode == 0, output)


def startup_ms(runs: list[runlog.RunTimes]) -> str:
    values = [r.startup_s for r in runs if r.startup_s is not None]
    return f"{1000 * statistics.median(values):.1f}" if values else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="full gradings to take the median of")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="as mpgrade grade --jobs")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="grade with the grader of this checkout")
    parser.add_argument("--no-per-exercise", action="store_true", help="skip grading each exercise alone")
    args = parser.parse_args()
    python = probe().python
    checkout = args.checkout.resolve()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(checkout)
    base = [sys.executable, "-m", "grader", "grade", str(ROOT / "solutions"), "--quiet", "--jobs", str(args.jobs)]
    if args.jobs == 1 and "--jobs" not in _help(checkout):
        base = base[:-2]
    bare = bare_python(python)
    bare_grader = bare_python(sys.executable, 5)
    cache: dict[tuple[int, ...], float] = {}
    ids = [e.id for e in catalogue.EXERCISES]
    print(f"checkout {checkout}, jobs {args.jobs}, {usable_cpus()} usable cores, {args.rounds} round(s)")
    print(
        f"bare `python -c pass`: {python} {1000 * bare:.1f} ms (the sandbox's); "
        f"{sys.executable} {1000 * bare_grader:.1f} ms (the grader's)"
    )
    if not args.no_per_exercise:
        print(f"\n{'exercise':22} {'wall s':>7} {'cpu s':>7} {'inherent s':>10} {'runs':>5} {'start-up ms':>12}")
        for exercise_id in ids:
            one = grade_once([*base, "-e", exercise_id], checkout, env)
            floor = inherent([exercise_id], args.jobs, python, cache)
            mark = "" if one.ok else "  (not full marks!)"
            print(
                f"{exercise_id:22} {one.wall_s:7.2f} {one.cpu_s:7.2f} {floor:10.2f} {len(one.runs) or 'n/a':>5} "
                f"{startup_ms(one.runs):>12}{mark}"
            )
    gradings = [grade_once(base, checkout, env) for _ in range(args.rounds)]
    floor = inherent(ids, args.jobs, python, cache)
    walls = [g.wall_s for g in gradings]
    all_runs = [r for g in gradings for r in g.runs]
    median_wall = statistics.median(walls)
    print(f"\nall nine, end to end: wall {', '.join(f'{w:.2f}' for w in walls)} s; median {median_wall:.2f} s")
    print(f"  CPU (process tree, getrusage) median {statistics.median(g.cpu_s for g in gradings):.2f} s")
    machine = [g.machine_cpu_s for g in gradings if g.machine_cpu_s is not None]
    if machine:
        cores = usable_cpus()
        median_busy = statistics.median(machine)
        print(
            f"  CPU (whole machine busy, /proc/stat) median {median_busy:.2f} s: "
            f"{median_busy / (cores * median_wall):.0%} of {cores} cores over the median wall"
        )
    print(f"  inherent wait {floor:.2f} s; wall / inherent {median_wall / floor:.2f}")
    runs_per = {len(g.runs) for g in gradings}
    print(
        f"  sandbox runs per grading {sorted(runs_per)}; start-up median {startup_ms(all_runs)} ms "
        f"(over bare python: {_over(all_runs, bare)})"
    )
    teardowns = [r.teardown_s for r in all_runs if r.teardown_s is not None]
    if teardowns:
        print(f"  teardown after the last call, median {1000 * statistics.median(teardowns):.1f} ms")
    alone = [r for r in all_runs if r.exclusive]
    if alone:
        print(
            f"  runs with the machine alone per grading {len(alone) / len(gradings):.0f}, "
            f"{sum(r.ended - r.granted for r in alone) / len(gradings):.2f} s"
        )
    for grading in gradings:
        if not grading.ok:
            print(f"  WARNING: a grading of the solutions did not end with full marks:\n{grading.output}")


def _over(runs: list[runlog.RunTimes], bare: float) -> str:
    values = [r.startup_s for r in runs if r.startup_s is not None]
    return f"{1000 * (statistics.median(values) - bare):.1f} ms" if values else "n/a"


def _help(checkout: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "--help"], cwd=checkout, capture_output=True, text=True, check=False
    )
    return done.stdout


if __name__ == "__main__":
    main()
