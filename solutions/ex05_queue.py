"""Reference solution: producer and consumers (see exercises/ex05_queue.py)."""

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


def process_all(numbers: list[int], n_workers: int = 3, delay: float = 0.0) -> list[tuple[int, int, int]]:
    tasks: Queue = Queue()
    results: Queue = Queue()
    workers = [Process(target=square_worker, args=(tasks, results, delay)) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for n in numbers:
        tasks.put(n)
    for _ in workers:
        tasks.put(None)
    collected = [results.get() for _ in numbers]
    for worker in workers:
        worker.join()
    return sorted(collected)


def main() -> None:
    for n, square, pid in process_all(list(range(10)), delay=0.05):
        print(f"{n}^2 = {square} (pid {pid})")
    print(len(process_all(list(range(20_000)))), "results from 20 000 tasks")


if __name__ == "__main__":
    main()
