"""Verdict benchmark: grade the solutions, the unusual-but-correct and the flawed submissions again and again.

Prints, per check kind, how many verdicts were right, how many were false passes (a
check passed that must not), false fails (a check that must pass did not) and skips,
then the grading time of each exercise of the reference solutions, the spread of the
speedup checks' work inflation, every skipped check with its reason, and every miss.

    python benchmarks/verdicts.py --rounds 20
    python benchmarks/verdicts.py --rounds 20 --busy 1     # with one busy-loop process running
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import catalogue  # noqa: E402
from grader.config import Settings, default_jobs  # noqa: E402
from grader.grade import grade  # noqa: E402
from grader.model import GradeReport, Status  # noqa: E402
from grader.sandbox.isolation import Isolation, Limits, probe  # noqa: E402

SUBMISSIONS = ROOT / "tests" / "submissions"


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    exercises: tuple[str, ...]
    must_pass: dict[str, set[str]]  # exercise -> checks that must pass
    must_not_pass: dict[str, set[str]]  # exercise -> checks that must not pass
    correct: bool = False  # every check must pass (the solutions, the unusual-but-correct corpus)


UNUSUAL = ("unusual_a", "unusual_b")


def correct_cases() -> list[Case]:
    ids = tuple(e.id for e in catalogue.EXERCISES)
    return [
        Case("solutions", ROOT / "solutions", ids, {}, {}, correct=True),
        *(Case(name, SUBMISSIONS / name, ids, {}, {}, correct=True) for name in UNUSUAL),
    ]


def flawed_cases(start_method: str) -> list[Case]:
    cases = []
    for folder in sorted(p for p in SUBMISSIONS.iterdir() if (p / "expected.json").exists()):
        expected = json.loads((folder / "expected.json").read_text())
        methods = expected.pop("_start_methods", None)  # where the faults show (fork hides some)
        if methods is not None and start_method not in methods:
            continue
        must_pass = {ex: set(v.get("passed", [])) for ex, v in expected.items()}
        must_not = {
            ex: set(v.get("not_passed", [])) | set(v.get("error", [])) | set(v.get("never_passed", []))
            for ex, v in expected.items()
        }
        cases.append(Case(folder.name, folder, tuple(expected), must_pass, must_not))
    return cases


@dataclass
class Tally:
    table: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    misses: list[str] = field(default_factory=list)
    skips: Counter[str] = field(default_factory=Counter)
    skip_reasons: dict[str, str] = field(default_factory=dict)
    inflation: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def tally(case: Case, report: GradeReport, into: Tally) -> None:
    table, misses = into.table, into.misses
    for exercise in report.exercises:
        for check in exercise.checks:
            if case.correct or check.id in case.must_pass.get(exercise.id, set()):
                expected = "pass"
            elif check.id in case.must_not_pass.get(exercise.id, set()):
                expected = "fail"
            else:
                continue
            row = table[check.kind.value]
            if isinstance(check.data.get("work_inflation"), float):
                into.inflation[expected].append(check.data["work_inflation"])
            if check.status is Status.SKIPPED:
                row["skipped"] += 1
                where = f"{case.name}/{exercise.id}/{check.id}"
                into.skips[where] += 1
                into.skip_reasons[where] = check.message
            elif (check.status is Status.PASSED) == (expected == "pass"):
                row["right"] += 1
            elif expected == "pass":
                row["false fail"] += 1
                misses.append(f"false fail: {case.name}/{exercise.id}/{check.id}: {check.message[:160]}")
            else:
                row["false pass"] += 1
                misses.append(f"false pass: {case.name}/{exercise.id}/{check.id}: {check.data}")


def busy_loops(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes to run meanwhile")
    parser.add_argument("--start-method", default="forkserver")
    parser.add_argument("--only", action="append", default=[], help="case names to run (default: all)")
    parser.add_argument(
        "--jobs", type=int, default=default_jobs(), help="sandbox runs at once (as mpgrade grade --jobs; same default)"
    )
    args = parser.parse_args()
    cases = [*correct_cases(), *flawed_cases(args.start_method)]
    if args.only:
        cases = [c for c in cases if c.name in args.only]
    seen = Tally()
    table, misses = seen.table, seen.misses
    timings: dict[str, list[float]] = defaultdict(list)
    settings = Settings((args.start_method,), 60.0, Isolation(Limits(), probe()), args.jobs)
    print(f"isolation: {settings.isolation.layers.report()}", flush=True)
    loops = busy_loops(args.busy)
    begun = time.monotonic()
    try:
        for round_no in range(1, args.rounds + 1):
            for case in cases:
                exercises = catalogue.resolve(list(case.exercises))
                report, _ = grade(case.folder, exercises, settings, case.name)
                tally(case, report, seen)
                if case.name == "solutions":
                    for exercise in report.exercises:
                        timings[exercise.id].append(exercise.duration_s)
            print(f"round {round_no}/{args.rounds} done at {time.monotonic() - begun:.0f} s", flush=True)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    print(
        f"\n{args.rounds} rounds, {args.busy} busy loop(s), start method {args.start_method}, jobs {args.jobs}, "
        f"{time.monotonic() - begun:.0f} s"
    )
    print(f"{'kind':<12} {'right':>6} {'false pass':>11} {'false fail':>11} {'skipped':>8}")
    for kind in sorted(table):
        row = table[kind]
        print(f"{kind:<12} {row['right']:>6} {row['false pass']:>11} {row['false fail']:>11} {row['skipped']:>8}")
    if timings:
        print("\ngrading time of the reference solutions per exercise (s): median / max")
        for exercise_id, values in timings.items():
            print(f"  {exercise_id:<22} {statistics.median(values):6.2f} / {max(values):6.2f}")
        totals = [sum(v[i] for v in timings.values()) for i in range(len(next(iter(timings.values()))))]
        print(f"  {'all nine':<22} {statistics.median(totals):6.2f} / {max(totals):6.2f}")
    for expected, values in sorted(seen.inflation.items()):
        print(
            f"\nwork inflation of speedup checks that must {expected} (children's CPU / serial CPU): "
            f"min {min(values):.2f}, median {statistics.median(values):.2f}, max {max(values):.2f} ({len(values)})"
        )
    for where, count in sorted(seen.skips.items()):
        print(f"skipped {count}x: {where}, last because: {seen.skip_reasons[where][:160]}")
    for miss in misses:
        print(miss)


if __name__ == "__main__":
    main()
