"""One at a time: each process joined before the next starts."""

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


def run_both(numbers, delay=0.5):
    codes = []
    for target in (calc_square, calc_cube):
        proc = Process(target=target, args=(numbers, delay))
        proc.start()
        proc.join()
        codes.append(proc.exitcode)
    return codes
