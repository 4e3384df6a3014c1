"""Reference solution: the same function over many inputs (see exercises/ex03_executor_map.py)."""

import os
import time
from concurrent.futures import ProcessPoolExecutor


def count_primes_below(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(count_primes_below, limits))


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    time.sleep(delay)
    return (n * n, os.getpid())


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(square_with_pid, numbers, [delay] * len(numbers)))


def main() -> None:
    limits = [60_000, 70_000, 80_000, 90_000]
    start = time.perf_counter()
    serial = [count_primes_below(limit) for limit in limits]
    middle = time.perf_counter()
    parallel = count_primes_parallel(limits)
    end = time.perf_counter()
    print(f"serial {serial} in {middle - start:.2f} s, parallel {parallel} in {end - middle:.2f} s")
    print(map_squares(list(range(8))))


if __name__ == "__main__":
    main()
