"""Serial: right output, no processes."""

import time


def calc_square(numbers, delay=0.5):
    for n in numbers:
        time.sleep(delay)
        print(f"Square of {n}: {n * n}", flush=True)


def calc_cube(numbers, delay=0.5):
    for n in numbers:
        time.sleep(delay)
        print(f"Cube of {n}: {n * n * n}", flush=True)


def run_both(numbers, delay=0.5):
    calc_square(numbers, delay)
    calc_cube(numbers, delay)
    return [0, 0]
