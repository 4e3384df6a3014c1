"""Race benchmark: how often a stressed run catches a race, racy and locked, under load.

For ex07 (``counter.value += 1``, through ``parallel_count`` and the grader's own
``parallel_increment`` around the student's ``increment``) and ex09 (the managed dict of
``count_words``), prints how often the stressed run lost updates: racy variants must
lose them every time, locked ones never. Each run is the grader's own stressed run (same
request: start barrier, widened windows, the sandbox). ``--at-once K`` makes K of the same
run at the same time, each round, beside ``--busy`` busy-loop processes: the load a
grading's shareable runs put on each other, and worse.

    python benchmarks/races.py --rounds 20
    python benchmarks/races.py --rounds 10 --at-once 4 --busy 1 --methods forkserver
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.checks import test_ex07_value as ex07  # noqa: E402
from grader.checks import test_ex09_manager as ex09  # noqa: E402
from grader.sandbox import subreaper  # noqa: E402
from grader.sandbox.isolation import Isolation, Limits, probe  # noqa: E402
from grader.sandbox.launcher import run  # noqa: E402
from grader.sandbox.results import Call, RunRequest  # noqa: E402

ISOLATION = Isolation(Limits(), probe())
SUBMISSIONS = ROOT / "tests" / "submissions"
Exact = Callable[[Path, str], tuple[bool, float]]


def _stressed(module: str, folder: Path, method: str, call: Call, amplify: dict[str, float], barrier: int) -> Any:
    return run(
        RunRequest(
            module,
            folder,
            (call,),
            barrier=barrier,
            start_method=method,
            isolation=ISOLATION,
            amplify=amplify,
            timeout=60,
        )
    )


def ex07_count(folder: Path, method: str) -> tuple[bool, float]:
    n_procs, times = ex07.STRESS
    result = _stressed("ex07_value", folder, method, Call("parallel_count", (n_procs, times)), ex07.AMPLIFY, n_procs)
    return result.value == n_procs * times, result.wall_s or 0.0


def ex07_increment(folder: Path, method: str) -> tuple[bool, float]:
    n_procs, times = ex07.STRESS
    call = Call("parallel_increment", (n_procs, times), target="driver")
    result = _stressed("ex07_value", folder, method, call, ex07.AMPLIFY, n_procs)
    return result.value == n_procs * times, result.wall_s or 0.0


def ex09_words(folder: Path, method: str) -> tuple[bool, float]:
    words = ex09.STRESS_WORDS
    result = _stressed("ex09_manager", folder, method, Call("count_words", (words, 2)), ex09.AMPLIFY, 2)
    return result.value == dict(Counter(words)), result.wall_s or 0.0


RUNS: tuple[tuple[str, Exact, tuple[str, ...]], ...] = (
    ("ex07 parallel_count", ex07_count, ("racy", "racy_doors", "locked")),
    ("ex07 increment", ex07_increment, ("racy", "racy_doors", "locked")),
    ("ex09 count_words", ex09_words, ("racy", "racy_snapshot", "locked")),
)


def folder_of(variant: str) -> Path:
    return ROOT / "solutions" if variant == "locked" else SUBMISSIONS / variant


def trials(pool: ThreadPoolExecutor, is_exact: Exact, folder: Path, method: str, rounds: int, at_once: int) -> list:
    """``rounds`` times, ``at_once`` identical runs at the same time."""
    outcomes: list[tuple[bool, float]] = []
    for _ in range(rounds):
        outcomes += pool.map(lambda _: is_exact(folder, method), range(at_once))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--at-once", type=int, default=1, help="identical stressed runs made at the same time")
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes to run meanwhile")
    parser.add_argument("--methods", nargs="+", default=["fork", "spawn", "forkserver"])
    args = parser.parse_args()
    subreaper.become_subreaper()
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    print(f"{args.rounds} rounds, {args.at_once} at once, {args.busy} busy loop(s)")
    print(f"{'run':<20} {'variant':<14} {'method':<11} {'exact':>6} {'lost':>5} {'max run s':>10}")
    try:
        with ThreadPoolExecutor(max_workers=args.at_once) as pool:
            for label, is_exact, variants in RUNS:
                for variant in variants:
                    for method in args.methods:
                        outcomes = trials(pool, is_exact, folder_of(variant), method, args.rounds, args.at_once)
                        exact = sum(ok for ok, _ in outcomes)
                        longest = max(wall for _, wall in outcomes)
                        row = f"{label:<20} {variant:<14} {method:<11} {exact:>6} {len(outcomes) - exact:>5}"
                        print(f"{row} {longest:>10.2f}", flush=True)
    finally:
        for loop in loops:
            loop.kill()


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"{time.monotonic() - started:.0f} s")
