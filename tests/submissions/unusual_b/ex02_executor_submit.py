"""Unusual but correct: concurrent.futures.wait, the executor class from its own module."""

import os
import time
from concurrent.futures import ALL_COMPLETED, wait
from concurrent.futures.process import ProcessPoolExecutor as Executor


def slow_square(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def slow_cube(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n**3, os.getpid())


def square_and_cube(n: int, delay: float = 0.5, max_workers: int = 2) -> tuple[tuple[int, int], tuple[int, int]]:
    with Executor(max_workers) as ex:
        futures = [ex.submit(task, n, delay) for task in (slow_square, slow_cube)]
        wait(futures, return_when=ALL_COMPLETED)
    square, cube = (f.result() for f in futures)
    return square, cube


def submit_all(numbers: list[int], delay: float = 0.1, max_workers: int = 4) -> list[tuple[int, int]]:
    if not numbers:
        return []
    with Executor(max_workers=max_workers) as ex:
        submit = ex.submit
        futures = [submit(slow_square, n, delay=delay) for n in numbers]
    return [f.result() for f in futures]
