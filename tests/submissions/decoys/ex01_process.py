"""Decoys: two idle sleeping children while the caller prints everything itself."""

import time
from multiprocessing import Process


def calc_square(numbers, delay=0.5):
    for n in numbers:
        time.sleep(delay)
        print(f"Square of {n}: {n * n}", flush=True)


def calc_cube(numbers, delay=0.5):
    for n in numbers:
        time.sleep(delay)
        print(f"Cube of {n}: {n * n * n}", flush=True)


def _idle(seconds):
    time.sleep(seconds)


def run_both(numbers, delay=0.5):
    decoys = [Process(target=_idle, args=(2 * len(numbers) * delay,)) for _ in range(2)]
    for decoy in decoys:
        decoy.start()
    calc_square(numbers, delay)
    calc_cube(numbers, delay)
    for decoy in decoys:
        decoy.join()
    return [decoy.exitcode for decoy in decoys]
