"""Exercise 04: multiprocessing.Pool.

The pattern
-----------
``multiprocessing.Pool(processes)`` starts a fixed set of worker processes at once;
``pool.map(f, inputs)`` splits the inputs among them, blocks until every result is
back, and returns a list in input order. ``with Pool(...) as pool:`` terminates the
workers when the block ends; outside a ``with`` block call ``pool.close()`` then
``pool.join()``.

When to use it
--------------
The same jobs as ``ProcessPoolExecutor.map``, in the older ``multiprocessing`` API
(with extras such as ``imap``, ``starmap`` and ``chunksize``).

The pitfall
-----------
A pool that is never closed leaves its worker processes running after your function
returns. And ``pool.map`` with a lambda fails under spawn/forkserver: workers receive
the function by name, so it must be defined at module level.

Your task
---------
Write ``pool_squares`` and ``pool_count_primes``.
"""

import time
from multiprocessing import Pool  # noqa: F401  (you will need it)


def square(n: int) -> int:
    """Given."""
    return n * n


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


def pool_squares(numbers: list[int], processes: int = 4) -> list[int]:
    """TODO: ``Pool(processes).map(square, numbers)``; the pool must be closed on return."""
    raise NotImplementedError("pool_squares")


def pool_count_primes(limits: list[int], processes: int = 2) -> list[int]:
    """TODO: ``Pool(processes).map(count_primes_below, limits)``, results in input order.

    The pool's workers must be gone when the function returns.
    """
    raise NotImplementedError("pool_count_primes")


def main() -> None:
    print(pool_squares(list(range(10))))
    start = time.perf_counter()
    print(pool_count_primes([60_000, 70_000, 80_000, 90_000]), f"in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
