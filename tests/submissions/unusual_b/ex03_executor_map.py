"""Unusual but correct: map with timeout, the results consumed by a comprehension."""

import os
import time
from concurrent import futures


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
    with futures.ProcessPoolExecutor(max_workers) as executor:
        return [count for count in executor.map(count_primes_below, limits, timeout=120)]


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return n * n, os.getpid()


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    with futures.ProcessPoolExecutor(max_workers=max_workers) as executor:
        pairs = executor.map(square_with_pid, numbers, (delay for _ in numbers))
        return list(pairs)
