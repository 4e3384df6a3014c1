"""Serial: the queue loop run in the caller."""

import os
import time
from multiprocessing import Queue


def square_worker(tasks, results, delay=0.0):
    while (n := tasks.get()) is not None:
        time.sleep(delay)
        results.put((n, n * n, os.getpid()))


def process_all(numbers, n_workers=3, delay=0.0):
    out = []
    for n in numbers:
        time.sleep(delay)
        out.append((n, n * n, os.getpid()))
    return sorted(out)


def _unused():
    return Queue()
