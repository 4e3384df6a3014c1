"""Exercise 02: submit different tasks to a ProcessPoolExecutor.

The pattern
-----------
``concurrent.futures.ProcessPoolExecutor(max_workers=n)`` keeps a pool of n worker
processes. ``executor.submit(f, *args)`` hands one call to the pool and returns a
``Future`` at once; ``future.result()`` waits for that call and gives its return value
(or re-raises its exception). Use the executor in a ``with`` block: leaving the block
waits for the workers and shuts them down.

When to use it
--------------
Independent tasks, possibly of different functions, whose results you collect later.

The pitfall
-----------
``executor.submit(f, x).result()`` in a loop waits for each task before submitting the
next: nothing runs in parallel. Submit everything first, keep the futures in a list,
then read the results. And ``as_completed`` gives results in the order they finish,
not the order you submitted them.

Your task
---------
Write ``square_and_cube`` and ``submit_all``.
"""

import os
import time
from concurrent.futures import ProcessPoolExecutor  # noqa: F401  (you will need it)


def slow_square(n: int, delay: float) -> tuple[int, int]:
    """Given: sleep, then return (n*n, pid of the process that ran it)."""
    time.sleep(delay)
    return (n * n, os.getpid())


def slow_cube(n: int, delay: float) -> tuple[int, int]:
    """Given: sleep, then return (n**3, pid of the process that ran it)."""
    time.sleep(delay)
    return (n**3, os.getpid())


def square_and_cube(n: int, delay: float = 0.5, max_workers: int = 2) -> tuple[tuple[int, int], tuple[int, int]]:
    """TODO: submit slow_square(n, delay) and slow_cube(n, delay) to one executor.

    Use one ``ProcessPoolExecutor(max_workers=max_workers)`` and ``submit()`` for both;
    return ``(square_result, cube_result)``.
    """
    raise NotImplementedError("square_and_cube")


def submit_all(numbers: list[int], delay: float = 0.1, max_workers: int = 4) -> list[tuple[int, int]]:
    """TODO: submit slow_square(n, delay) for every n; return the results in input order."""
    raise NotImplementedError("submit_all")


def main() -> None:
    start = time.perf_counter()
    print(square_and_cube(7))
    for value, pid in submit_all([1, 2, 3, 4, 5, 6, 7, 8]):
        print(f"{value:3d} computed by pid {pid}")
    print(f"took {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
