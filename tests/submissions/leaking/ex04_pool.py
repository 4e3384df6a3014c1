"""Leaking: the pools are never closed."""

from multiprocessing import Pool


def square(n):
    return n * n


def count_primes_below(limit):
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


_pools = []


def pool_squares(numbers, processes=4):
    pool = Pool(processes)
    _pools.append(pool)
    return pool.map(square, numbers)


def pool_count_primes(limits, processes=2):
    pool = Pool(processes)
    _pools.append(pool)
    return pool.map(count_primes_below, limits)
