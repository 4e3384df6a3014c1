"""Unusual but correct: an aliased Process from an explicit context, started in a loop."""

import multiprocessing
import time

ctx = multiprocessing.get_context()
Proc = ctx.Process


def calc_square(numbers: list[int], delay: float = 0.5) -> None:
    for n in numbers:
        time.sleep(delay)
        print(f"Square of {n}: {n * n}", flush=True)


def calc_cube(numbers: list[int], delay: float = 0.5) -> None:
    for n in numbers:
        time.sleep(delay)
        print(f"Cube of {n}: {n * n * n}", flush=True)


def run_both(numbers: list[int], delay: float = 0.5) -> list[int]:
    procs = [Proc(target=f, args=(numbers,), kwargs={"delay": delay}) for f in (calc_square, calc_cube)]
    list(map(Proc.start, procs))
    list(map(Proc.join, procs))
    return [p.exitcode for p in procs]
