"""Leaking: no sentinels, so the workers wait for tasks forever; never joined."""

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
    for _ in range(n_workers):
        Process(target=square_worker, args=(tasks, results, delay), daemon=True).start()
    for n in numbers:
        tasks.put(n)
    return sorted(results.get() for _ in numbers)
