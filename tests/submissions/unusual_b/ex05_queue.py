"""Unusual but correct: queues from an explicit context, a sentinel loop, results drained with get(timeout)."""

import multiprocessing as mp
import os
import time


def square_worker(tasks, results, delay: float = 0.0) -> None:
    while (n := tasks.get()) is not None:
        if delay:
            time.sleep(delay)
        results.put((n, n * n, os.getpid()))


def process_all(numbers: list[int], n_workers: int = 3, delay: float = 0.0) -> list[tuple[int, int, int]]:
    ctx = mp.get_context()
    tasks, results = ctx.Queue(), ctx.Queue()
    workers = []
    for _ in range(n_workers):
        worker = ctx.Process(target=square_worker, args=(tasks, results), kwargs={"delay": delay})
        worker.start()
        workers.append(worker)
    for n in numbers:
        tasks.put(n)
    for _ in range(n_workers):
        tasks.put(None)
    out = []
    while len(out) < len(numbers):
        out.append(results.get(timeout=60))
    for worker in workers:
        worker.join()
    return sorted(out, key=lambda item: item[0])
