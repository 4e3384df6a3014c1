"""Racy through another door: each process reads a snapshot with items(), then writes each
key back as snapshot + its own count."""

from collections import Counter
from multiprocessing import Manager, Process


def add_square(shared_list, n: int) -> None:
    shared_list.append(n * n)


def _add_squares(shared_list, numbers: list[int]) -> None:
    for n in numbers:
        add_square(shared_list, n)


def gather_squares(numbers: list[int], n_procs: int = 4) -> list[int]:
    with Manager() as manager:
        shared = manager.list()
        procs = [Process(target=_add_squares, args=(shared, numbers[i::n_procs])) for i in range(n_procs)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return sorted(shared)


def _count_share(counts, words: list[str]) -> None:
    for word, count in Counter(words).items():
        snapshot = dict(counts.items())
        counts[word] = snapshot.get(word, 0) + count


def count_words(words: list[str], n_procs: int = 2) -> dict[str, int]:
    with Manager() as manager:
        counts = manager.dict()
        procs = [Process(target=_count_share, args=(counts, words[i::n_procs])) for i in range(n_procs)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return dict(counts)
