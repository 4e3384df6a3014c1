"""Exercise 03: the same function over many inputs with executor.map.

The pattern
-----------
``executor.map(f, inputs)`` runs ``f`` on every input in the pool's worker processes
and yields the results *in input order*, whatever order they finish in. Several
iterables give several arguments: ``executor.map(f, xs, ys)`` calls ``f(x, y)``.

When to use it
--------------
CPU-bound work split into independent pieces: each worker process has its own
interpreter and its own GIL, so on a machine with k cores up to k pieces run at once.
(Threads would not help here: the GIL lets one of them compute at a time.)

The pitfall
-----------
Too little work per task: starting processes and sending arguments and results
between them costs milliseconds, so tiny tasks run slower in parallel than serially.
And ``map`` returns a lazy iterator: turn it into a list inside the ``with`` block.

Your task
---------
Write ``count_primes_parallel``, ``square_with_pid`` and ``map_squares``.
"""

import os  # noqa: F401  (you will need it)
import time
from concurrent.futures import ProcessPoolExecutor  # noqa: F401  (you will need it)


def count_primes_below(limit: int) -> int:
    """Given: a deliberately slow (CPU-bound) count of the primes below ``limit``."""
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]:
    """TODO: ``ProcessPoolExecutor(max_workers).map(count_primes_below, limits)``, as a list."""
    raise NotImplementedError("count_primes_parallel")


def square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]:
    """TODO: sleep ``delay`` seconds, then return ``(n*n, os.getpid())``."""
    raise NotImplementedError("square_with_pid")


def map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4) -> list[tuple[int, int]]:
    """TODO: map square_with_pid over ``numbers`` (each with ``delay``) in a pool; input order."""
    raise NotImplementedError("map_squares")


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
