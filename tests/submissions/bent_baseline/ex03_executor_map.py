"""Bent baseline: the given function counts twice in the calling process (the serial run),
while in the parallel call one worker counts everything and the other burns CPU beside it."""

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor


def _count(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def count_primes_below(limit: int) -> int:
    if multiprocessing.parent_process() is None:
        _count(limit)  # twice as slow when called in the main process
    return _count(limit)


def _burn(stop) -> None:
    while not stop.is_set():
        pass


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    stop = multiprocessing.Event()
    burner = multiprocessing.Process(target=_burn, args=(stop,))
    burner.start()
    try:
        with ProcessPoolExecutor(max_workers=1) as executor:
            return list(executor.map(count_primes_below, limits))
    finally:
        stop.set()
        burner.join()


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(square_with_pid, numbers, [delay] * len(numbers)))
