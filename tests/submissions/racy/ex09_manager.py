"""Racy: d[w] = d.get(w, 0) + 1 from two processes without a lock."""

from multiprocessing import Manager, Process


def add_square(shared_list, n):
    shared_list.append(n * n)


def _add_all(shared_list, numbers):
    for n in numbers:
        add_square(shared_list, n)


def gather_squares(numbers, n_procs=4):
    with Manager() as manager:
        shared = manager.list()
        procs = [Process(target=_add_all, args=(shared, numbers[i::n_procs])) for i in range(n_procs)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return sorted(shared)


def _count(counts, words):
    for word in words:
        counts[word] = counts.get(word, 0) + 1


def count_words(words, n_procs=2):
    with Manager() as manager:
        counts = manager.dict()
        procs = [Process(target=_count, args=(counts, words[i::n_procs])) for i in range(n_procs)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return dict(counts)
