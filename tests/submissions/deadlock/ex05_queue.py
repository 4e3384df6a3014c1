"""Deadlock: joins the workers before taking their results."""

import os
import time
from multiprocessing import Process, Queue


def square_worker(tasks, results, delay=0.0):
    while True:
        n = tasks.get()
        if n is None:
            break
        time.sleep(delay)
        results.put((n, n * n, os.getpid()))


def process_all(numbers, n_workers=3, delay=0.0):
    tasks, results = Queue(), Queue()
    workers = [Process(target=square_worker, args=(tasks, results, delay)) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for n in numbers:
        tasks.put(n)
    for _ in workers:
        tasks.put(None)
    for worker in workers:
        worker.join()
    return sorted(results.get() for _ in numbers)
