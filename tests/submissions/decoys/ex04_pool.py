"""Decoys: a pool of idle workers while the caller does the counting."""

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


def pool_squares(numbers, processes=4):
    with Pool(processes) as pool:
        return pool.map(square, numbers)


def pool_count_primes(limits, processes=2):
    with Pool(processes) as pool:
        pool.map(square, limits)
        return [count_primes_below(limit) for limit in limits]
