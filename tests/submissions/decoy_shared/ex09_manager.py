"""Decoy: n_procs processes are started and do nothing; the caller appends every square."""

from collections import Counter
from multiprocessing import Manager, Process


def add_square(shared_list, n: int) -> None:
    shared_list.append(n * n)


def idle(shared_list) -> None:
    len(shared_list)


def gather_squares(numbers: list[int], n_procs: int = 4) -> list[int]:
    with Manager() as manager:
        shared = manager.list()
        procs = [Process(target=idle, args=(shared,)) for _ in range(n_procs)]
        for proc in procs:
            proc.start()
        for n in numbers:
            add_square(shared, n)
        for proc in procs:
            proc.join()
        return sorted(shared)


def _count_share(counts, lock, words: list[str]) -> None:
    local = Counter(words)
    with lock:
        for word, count in local.items():
            counts[word] = counts.get(word, 0) + count


def count_words(words: list[str], n_procs: int = 2) -> dict[str, int]:
    with Manager() as manager:
        counts, lock = manager.dict(), manager.Lock()
        procs = [Process(target=_count_share, args=(counts, lock, words[i::n_procs])) for i in range(n_procs)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return dict(counts)
