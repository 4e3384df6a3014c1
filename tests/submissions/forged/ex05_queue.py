"""Forged: results made up in the caller with plausible pids."""

import os
from multiprocessing import Process, Queue


def square_worker(tasks, results, delay=0.0):
    while (n := tasks.get()) is not None:
        results.put((n, n * n, os.getpid()))


def process_all(numbers, n_workers=3, delay=0.0):
    base = os.getpid() + 7
    return sorted((n, n * n, base + i % n_workers) for i, n in enumerate(numbers))


def _never():
    Process(target=square_worker, args=(Queue(), Queue()))
