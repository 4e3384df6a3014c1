"""Every pool worker computes all the counts: the cores are busy, but no time is saved."""

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


def count_all(limits: list[int]) -> list[int]:
    return [count_primes_below(limit) for limit in limits]


def pool_squares(numbers: list[int], processes: int = 4) -> list[int]:
    with Pool(processes) as pool:
        return pool.map(square, numbers)


def pool_count_primes(limits: list[int], processes: int = 2) -> list[int]:
    with Pool(processes) as pool:
        copies = pool.map(count_all, [limits] * processes, chunksize=1)
    return copies[0]
