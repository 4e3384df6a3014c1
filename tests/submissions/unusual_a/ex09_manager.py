"""Unusual but correct: a SyncManager started and shut down by hand; counts merged under its lock."""

from collections import Counter
from multiprocessing import Process
from multiprocessing.managers import SyncManager


def add_square(shared_list, n: int) -> None:
    shared_list.append(n * n)


def _add_all(shared_list, numbers: list[int]) -> None:
    for n in numbers:
        add_square(shared_list, n)


def gather_squares(numbers: list[int], n_procs: int = 4) -> list[int]:
    manager = SyncManager()
    manager.start()
    try:
        shared = manager.list()
        size = -(-len(numbers) // n_procs) if numbers else 1
        procs = [Process(target=_add_all, args=(shared, numbers[i : i + size])) for i in range(0, len(numbers), size)]
        procs += [Process(target=_add_all, args=(shared, [])) for _ in range(n_procs - len(procs))]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return sorted(list(shared))
    finally:
        manager.shutdown()


def _count(counts, lock, words: list[str]) -> None:
    for word, count in Counter(words).items():
        with lock:
            counts[word] = counts.get(word, 0) + count


def count_words(words: list[str], n_procs: int = 2) -> dict[str, int]:
    manager = SyncManager()
    manager.start()
    counts, lock = manager.dict(), manager.Lock()
    procs = [Process(target=_count, args=(counts, lock, words[i::n_procs])) for i in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    result = dict(counts.items())
    manager.shutdown()
    return result
