"""Decoy: every task goes to the pool, but only to fetch a worker's pid; the caller sleeps and squares."""

import os
import time
from concurrent.futures import ProcessPoolExecutor


def slow_square(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def slow_cube(n: int, delay: float) -> tuple[int, int]:
    time.sleep(delay)
    return (n**3, os.getpid())


def whoami(n: int) -> int:
    time.sleep(0.2)  # long enough that every worker of the pool takes a turn
    return os.getpid()


def square_and_cube(n: int, delay: float = 0.5, max_workers: int = 2) -> tuple[tuple[int, int], tuple[int, int]]:
    with ProcessPoolExecutor(max_workers) as executor:
        pids = [executor.submit(whoami, n).result() for _ in range(2)]
    time.sleep(delay)
    square = n * n
    time.sleep(delay)
    return ((square, pids[0]), (n**3, pids[1]))


def submit_all(numbers: list[int], delay: float = 0.1, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers) as executor:
        pids = [f.result() for f in [executor.submit(whoami, n) for n in numbers]]
    results = []
    for n, pid in zip(numbers, pids, strict=True):
        time.sleep(delay)
        results.append((n * n, pid))
    return results
