"""Unusual but correct: an explicit context for the executor, chunksize, a module alias."""

import concurrent.futures as cf
import multiprocessing as mp
import os
import time


def count_primes_below(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    with cf.ProcessPoolExecutor(max_workers=max_workers, mp_context=mp.get_context()) as pool:
        return list(pool.map(count_primes_below, limits, chunksize=1))


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    pool = cf.ProcessPoolExecutor(max_workers)
    try:
        return list(pool.map(square_with_pid, numbers, [delay] * len(numbers)))
    finally:
        pool.shutdown(wait=True)
