"""Unusual but correct: starmap and imap, pools closed and joined by hand."""

from multiprocessing import get_context


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
    pool = get_context().Pool(processes)
    try:
        return pool.starmap(square, [(n,) for n in numbers])
    finally:
        pool.close()
        pool.join()


def pool_count_primes(limits: list[int], processes: int = 2) -> list[int]:
    pool = get_context().Pool(processes=processes)
    results = list(pool.imap(count_primes_below, limits))
    pool.close()
    pool.join()
    return results
