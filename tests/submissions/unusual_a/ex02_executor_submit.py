"""Unusual but correct: explicit shutdown, as_completed, results put back in input order."""

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed


def slow_square(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def slow_cube(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n**3, os.getpid())


def square_and_cube(n: int, delay: float = 0.5, max_workers: int = 2) -> tuple[tuple[int, int], tuple[int, int]]:
    executor = ProcessPoolExecutor(max_workers)
    try:
        futures = {executor.submit(slow_square, n, delay): "square", executor.submit(slow_cube, n, delay): "cube"}
        done = {futures[future]: future.result() for future in as_completed(futures)}
    finally:
        executor.shutdown(wait=True)
    return (done["square"], done["cube"])


def submit_all(numbers: list[int], delay: float = 0.1, max_workers: int = 4) -> list[tuple[int, int]]:
    executor = ProcessPoolExecutor(max_workers=max_workers)
    results: list = [None] * len(numbers)
    index = {executor.submit(slow_square, n, delay): i for i, n in enumerate(numbers)}
    for future in as_completed(index):
        results[index[future]] = future.result()
    executor.shutdown()
    return results
