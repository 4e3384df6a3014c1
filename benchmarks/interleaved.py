"""Grading time of two checkouts of mpgrade, measured interleaved in one run.

Grades the same submission with each checkout in turn (A, B, A, B, ...), so that both
see the same load, and prints each run's wall time and the medians:

    git worktree add /tmp/before <commit>
    python benchmarks/interleaved.py --before /tmp/before --after . --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def grade(checkout: Path, submission: Path, extra: list[str]) -> float:
    begun = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(submission), "-q", *extra],
        cwd=checkout,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - begun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="checkout of the earlier version")
    parser.add_argument("--after", type=Path, default=Path("."), help="checkout of the later version")
    parser.add_argument("--submission", type=Path, default=None, help="default: the after checkout's solutions/")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("extra", nargs="*", help="more arguments for mpgrade grade (after --)")
    args = parser.parse_args()
    submission = (args.submission or args.after / "solutions").resolve()
    times: dict[str, list[float]] = {"before": [], "after": []}
    for round_no in range(1, args.rounds + 1):
        for name in ("before", "after"):
            times[name].append(grade(getattr(args, name).resolve(), submission, args.extra))
        print(f"round {round_no}: before {times['before'][-1]:.2f} s, after {times['after'][-1]:.2f} s", flush=True)
    for name, values in times.items():
        print(f"{name:<7} median {statistics.median(values):.2f} s  (min {min(values):.2f}, max {max(values):.2f})")
    ratio = statistics.median(times["after"]) / statistics.median(times["before"])
    print(f"after / before: {ratio:.2f}")


if __name__ == "__main__":
    main()
