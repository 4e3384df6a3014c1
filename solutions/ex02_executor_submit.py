"""Reference solution: submit different tasks (see exercises/ex02_executor_submit.py)."""

import os
import time
from concurrent.futures import ProcessPoolExecutor


def slow_square(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def slow_cube(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n**3, os.getpid())


def square_and_cube(n: int, delay: float = 0.5, max_workers: int = 2) -> tuple[tuple[int, int], tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        square = executor.submit(slow_square, n, delay)
        cube = executor.submit(slow_cube, n, delay)
        return (square.result(), cube.result())


def submit_all(numbers: list[int], delay: float = 0.1, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(slow_square, n, delay) for n in numbers]
        return [future.result() for future in futures]


def main() -> None:
    start = time.perf_counter()
    print(square_and_cube(7))
    for value, pid in submit_all([1, 2, 3, 4, 5, 6, 7, 8]):
        print(f"{value:3d} computed by pid {pid}")
    print(f"took {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
