"""Exercise 05: producer and consumers with two Queues.

The pattern
-----------
``multiprocessing.Queue()`` is a pipe with a lock that any process may ``put`` to and
``get`` from. A producer puts tasks on a task queue; consumer processes loop:
``get`` a task, work, ``put`` the result on a result queue. To stop them, the producer
puts one sentinel (``None``) per consumer: each consumer stops at the first it gets.

When to use it
--------------
A stream of work items handled by long-lived workers, when you want control over
the workers' loop (batching, state, stopping early).

The pitfall
-----------
A process that has put data on a queue does not exit until that data has been taken
out of the underlying pipe. Joining the workers *before* taking all results therefore
deadlocks once the results no longer fit in the pipe (about 64 KiB): the workers wait
for you to read, you wait for them to exit. Take exactly ``len(numbers)`` results
first, then join.

Your task
---------
Write ``square_worker`` and ``process_all``.
"""

import os  # noqa: F401  (you will need it)
import time  # noqa: F401  (you will need it)
from multiprocessing import Process, Queue  # noqa: F401  (you will need them)


def square_worker(tasks, results, delay: float = 0.0) -> None:
    """TODO: take n from ``tasks`` until None; for each, sleep ``delay`` seconds and put
    ``(n, n*n, os.getpid())`` on ``results``."""
    raise NotImplementedError("square_worker")


def process_all(numbers: list[int], n_workers: int = 3, delay: float = 0.0) -> list[tuple[int, int, int]]:
    """TODO: run ``n_workers`` square_worker processes over two Queues.

    Put every number, then one None per worker; take exactly ``len(numbers)`` results
    *before* joining the workers; join them; return the results sorted by n.
    """
    raise NotImplementedError("process_all")


def main() -> None:
    for n, square, pid in process_all(list(range(10)), delay=0.05):
        print(f"{n}^2 = {square} (pid {pid})")
    print(len(process_all(list(range(20_000)))), "results from 20 000 tasks")


if __name__ == "__main__":
    main()
