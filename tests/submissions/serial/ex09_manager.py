"""Serial: a manager, but no worker processes."""

from collections import Counter
from multiprocessing import Manager


def add_square(shared_list, n):
    shared_list.append(n * n)


def gather_squares(numbers, n_procs=4):
    with Manager() as manager:
        shared = manager.list()
        for n in numbers:
            add_square(shared, n)
        return sorted(shared)


def count_words(words, n_procs=2):
    with Manager() as manager:
        counts = manager.dict()
        counts.update(Counter(words))
        return dict(counts)
