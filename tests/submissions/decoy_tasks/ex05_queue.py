"""Decoy: the workers take each task off the queue and pass it back with their pid; the caller sleeps and squares."""

import os
import time
from multiprocessing import Process, Queue


def square_worker(tasks, results, delay: float = 0.0) -> None:
    while True:
        n = tasks.get()
        if n is None:
            break
        time.sleep(delay)
        results.put((n, n * n, os.getpid()))


def pass_back(tasks, results) -> None:
    first = True
    for n in iter(tasks.get, None):
        if first:
            time.sleep(0.05)  # every worker takes a turn
            first = False
        results.put((n, os.getpid()))


def process_all(numbers: list[int], n_workers: int = 3, delay: float = 0.0) -> list[tuple[int, int, int]]:
    tasks, results = Queue(), Queue()
    workers = [Process(target=pass_back, args=(tasks, results)) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for n in numbers:
        tasks.put(n)
    for _ in workers:
        tasks.put(None)
    out = []
    for _ in numbers:
        n, pid = results.get()
        time.sleep(delay)
        out.append((n, n * n, pid))
    for worker in workers:
        worker.join()
    return sorted(out)
