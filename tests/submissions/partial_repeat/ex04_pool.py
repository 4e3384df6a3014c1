"""Partial repetition: the pool counts every limit once and the first two limits a second time
(a "warm-up" that redoes work), then returns the first answers."""

from multiprocessing import Pool


def square(n: int) -> int:
    return n * n


def count_primes_below(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def pool_squares(numbers: list[int], processes: int = 4) -> list[int]:
    with Pool(processes) as pool:
        return pool.map(square, numbers)


def pool_count_primes(limits: list[int], processes: int = 2) -> list[int]:
    with Pool(processes) as pool:
        return pool.map(count_primes_below, limits + limits[:2], chunksize=1)[: len(limits)]
