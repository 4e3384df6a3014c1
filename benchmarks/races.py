"""Race benchmark: racy and locked counters under every start method, R times each.

For ex07 (``counter.value += 1``) and ex09 (``d[w] = d.get(w, 0) + 1``), prints how
often the stressed run lost updates: racy variants must lose them every time, locked
ones never. Each run uses the same instrumentation as the grader's safety checks.

    python benchmarks/races.py --rounds 20
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.checks import test_ex07_value as ex07  # noqa: E402
from grader.checks import test_ex09_manager as ex09  # noqa: E402
from grader.sandbox import subreaper  # noqa: E402
from grader.sandbox.isolation import Isolation, Limits, probe  # noqa: E402
from grader.sandbox.launcher import run  # noqa: E402
from grader.sandbox.results import Call, RunRequest  # noqa: E402

ISOLATION = Isolation(Limits(), probe())

VARIANTS = {
    "racy": ROOT / "tests" / "submissions" / "racy",
    "locked": ROOT / "solutions",
}


def ex07_exact(folder: Path, method: str) -> tuple[bool, float]:
    n_procs, times = ex07.STRESS
    result = run(
        RunRequest(
            "ex07_value",
            folder,
            (Call("parallel_count", (n_procs, times)),),
            barrier=n_procs,
            start_method=method,
            isolation=ISOLATION,
            amplify=ex07.AMPLIFY,
            timeout=60,
        )
    )
    return result.value == n_procs * times, result.wall_s or 0.0


def ex09_exact(folder: Path, method: str) -> tuple[bool, float]:
    words = ex09.STRESS_WORDS
    result = run(
        RunRequest(
            "ex09_manager",
            folder,
            (Call("count_words", (words, 2)),),
            start_method=method,
            isolation=ISOLATION,
            amplify=ex09.AMPLIFY,
            timeout=60,
        )
    )
    return result.value == dict(Counter(words)), result.wall_s or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    subreaper.become_subreaper()
    print(f"{'exercise':<10} {'variant':<7} {'method':<11} {'exact':>6} {'lost':>5} {'max run s':>10}")
    for label, is_exact in (("ex07", ex07_exact), ("ex09", ex09_exact)):
        for variant, folder in VARIANTS.items():
            for method in ("fork", "spawn", "forkserver"):
                exact = 0
                longest = 0.0
                for _ in range(args.rounds):
                    ok, wall = is_exact(folder, method)
                    exact += ok
                    longest = max(longest, wall)
                print(
                    f"{label:<10} {variant:<7} {method:<11} {exact:>6} {args.rounds - exact:>5} {longest:>10.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"{time.monotonic() - started:.0f} s")
