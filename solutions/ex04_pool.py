"""Reference solution: multiprocessing.Pool (see exercises/ex04_pool.py)."""

import time
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
        return pool.map(count_primes_below, limits, chunksize=1)


def main() -> None:
    print(pool_squares(list(range(10))))
    start = time.perf_counter()
    print(pool_count_primes([60_000, 70_000, 80_000, 90_000]), f"in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
