"""Import burner: a thread started on import burns CPU in the calling process until the
parallel function is called, so that any other run that loads this module (a serial baseline,
a parallel reference) sees a busier caller; each worker then repeats all the work without
calling the given function."""

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

_called = threading.Event()


def _burn() -> None:
    while not _called.is_set():
        pass


if multiprocessing.parent_process() is None:  # the calling process only
    threading.Thread(target=_burn, daemon=True).start()


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
    return _count(limit)


def _everything(limits: list[int]) -> list[int]:
    return [_count(limit) for limit in limits]


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    _called.set()
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(_everything, limits) for _ in range(max_workers)]
        return futures[0].result()


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(square_with_pid, numbers, [delay] * len(numbers)))
