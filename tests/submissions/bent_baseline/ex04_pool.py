"""Bent baseline: the given function counts twice in the calling process (the serial run),
while in the parallel call one pool worker counts everything and another process burns CPU."""

import multiprocessing


def square(n: int) -> int:
    return n * n


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
        _count(limit)
    return _count(limit)


def _burn(stop) -> None:
    while not stop.is_set():
        pass


def pool_squares(numbers: list[int], processes: int = 4) -> list[int]:
    with multiprocessing.Pool(processes) as pool:
        return pool.map(square, numbers)


def pool_count_primes(limits: list[int], processes: int = 2) -> list[int]:
    stop = multiprocessing.Event()
    burner = multiprocessing.Process(target=_burn, args=(stop,))
    burner.start()
    try:
        with multiprocessing.Pool(1) as pool:
            return pool.map(count_primes_below, limits)
    finally:
        stop.set()
        burner.join()
