"""Reference solution: start two processes (see exercises/ex01_process.py)."""

import time
from multiprocessing import Process


def calc_square(numbers: list[int], delay: float = 0.5) -> None:
    for n in numbers:
        time.sleep(delay)
        print(f"Square of {n}: {n * n}", flush=True)


def calc_cube(numbers: list[int], delay: float = 0.5) -> None:
    for n in numbers:
        time.sleep(delay)
        print(f"Cube of {n}: {n * n * n}", flush=True)


def run_both(numbers: list[int], delay: float = 0.5) -> list[int]:
    square = Process(target=calc_square, args=(numbers, delay))
    cube = Process(target=calc_cube, args=(numbers, delay))
    square.start()
    cube.start()
    square.join()
    cube.join()
    return [square.exitcode, cube.exitcode]


def main() -> None:
    start = time.perf_counter()
    codes = run_both([2, 3, 8, 9])
    print(f"exit codes {codes}, took {time.perf_counter() - start:.2f} s (one after another: about 4 s)")


if __name__ == "__main__":
    main()
