"""Fork only: lambdas as Process targets."""

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
    square = Process(target=lambda: calc_square(numbers, delay))
    cube = Process(target=lambda: calc_cube(numbers, delay))
    square.start()
    cube.start()
    square.join()
    cube.join()
    return [square.exitcode, cube.exitcode]
