"""Unusual but correct: JoinableQueue with task_done, workers as a Process subclass."""

import os
import time
from multiprocessing import JoinableQueue, Process, Queue


def square_worker(tasks, results, delay: float = 0.0) -> None:
    for n in iter(tasks.get, None):
        time.sleep(delay)
        results.put((n, n * n, os.getpid()))
        if hasattr(tasks, "task_done"):
            tasks.task_done()
    if hasattr(tasks, "task_done"):
        tasks.task_done()


class Worker(Process):
    def __init__(self, tasks, results, delay: float) -> None:
        super().__init__(daemon=False)
        self.queues = (tasks, results, delay)

    def run(self) -> None:
        square_worker(*self.queues)


def process_all(numbers: list[int], n_workers: int = 3, delay: float = 0.0) -> list[tuple[int, int, int]]:
    tasks = JoinableQueue()
    results = Queue()
    workers = [Worker(tasks, results, delay) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for n in [*numbers, *([None] * n_workers)]:
        tasks.put(n)
    collected = [results.get() for _ in range(len(numbers))]
    tasks.join()
    for worker in workers:
        worker.join()
    return sorted(collected)
