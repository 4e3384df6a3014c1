"""Unusual but correct: map_async(...).get() and imap_unordered with indices, in with-blocks."""

import multiprocessing.pool


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


def _indexed(pair: tuple[int, int]) -> tuple[int, int]:
    index, limit = pair
    return index, count_primes_below(limit)


def pool_squares(numbers: list[int], processes: int = 4) -> list[int]:
    with multiprocessing.pool.Pool(processes) as pool:
        return pool.map_async(square, numbers).get(timeout=60)


def pool_count_primes(limits: list[int], processes: int = 2) -> list[int]:
    results = [0] * len(limits)
    with multiprocessing.Pool(processes) as pool:
        for index, count in pool.imap_unordered(_indexed, enumerate(limits)):
            results[index] = count
        pool.close()
        pool.join()
    return results
