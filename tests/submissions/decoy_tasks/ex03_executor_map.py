"""Decoy: map_squares maps a pid lookup over the numbers; the caller sleeps and squares."""

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


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(count_primes_below, limits))


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def whoami(n: int) -> int:
    time.sleep(0.2)  # long enough that every worker of the pool takes a turn
    return os.getpid()


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        pids = list(executor.map(whoami, numbers))
    out = []
    for n, pid in zip(numbers, pids, strict=True):
        time.sleep(delay)
        out.append((n * n, pid))
    return out
