"""Unusual but correct: SyncManager in a with-block, counts merged in one locked update per process."""

from collections import Counter
from multiprocessing import Process
from multiprocessing.managers import SyncManager


def add_square(shared_list, n: int) -> None:
    shared_list.append(n * n)


def _add(shared_list, numbers: list[int]) -> None:
    for n in numbers:
        add_square(shared_list, n)


def gather_squares(numbers: list[int], n_procs: int = 4) -> list[int]:
    with SyncManager() as manager:
        shared = manager.list()
        procs = [Process(target=_add, args=(shared, numbers[k::n_procs])) for k in range(n_procs)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        return sorted(shared[:])


def _merge(counts, lock, words: list[str]) -> None:
    mine = Counter(words)
    with lock:
        merged = Counter(dict(counts.items()))
        merged.update(mine)
        counts.update(merged)


def count_words(words: list[str], n_procs: int = 2) -> dict[str, int]:
    with SyncManager() as manager:
        counts, lock = manager.dict(), manager.Lock()
        procs = [Process(target=_merge, args=(counts, lock, words[k::n_procs])) for k in range(n_procs)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        return {word: counts[word] for word in counts.keys()}  # noqa: SIM118 - the proxy's keys(), on purpose
