"""Burner: two workers keep both cores busy, but one counts every limit while the other
only burns CPU until it is done (the given function is unchanged)."""

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor


def count_primes_below(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def _count_all(limits: list[int]) -> list[int]:
    return [count_primes_below(limit) for limit in limits]


def _burn(done) -> None:
    while not done.is_set():
        for _ in range(20_000):
            pass


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    with multiprocessing.Manager() as manager:
        done = manager.Event()
        with ProcessPoolExecutor(max_workers=max_workers) as executor:
            burning = executor.submit(_burn, done)
            counts = executor.submit(_count_all, limits).result()
            done.set()
            burning.result()
        return counts


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(square_with_pid, numbers, [delay] * len(numbers)))
