"""Forged: runs in the caller, reports the caller's pid plus an offset."""

import os
import time


def count_primes_below(limit):
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def count_primes_parallel(limits, max_workers=2):
    return [count_primes_below(limit) for limit in limits]


def square_with_pid(n, delay=0.0):
    time.sleep(delay)
    return (n * n, os.getpid())


def map_squares(numbers, delay=0.05, max_workers=4):
    return [(n * n, os.getpid() + 1 + i % max_workers) for i, n in enumerate(numbers)]
