"""Reference solution: shared list and dict (see exercises/ex09_manager.py)."""

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


def _count_share(counts, lock, words: list[str]) -> None:
    local = Counter(words)
    with lock:
        for word, count in local.items():
            counts[word] = counts.get(word, 0) + count


def count_words(words: list[str], n_procs: int = 2) -> dict[str, int]:
    with Manager() as manager:
        counts = manager.dict()
        lock = manager.Lock()
        procs = [Process(target=_count_share, args=(counts, lock, words[i::n_procs])) for i in range(n_procs)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        return dict(counts)


def main() -> None:
    print(gather_squares([3, 1, 2, 5, 4]))
    print(count_words(["the", "cat", "and", "the", "hat", "and", "the", "bat"]))


if __name__ == "__main__":
    main()
