"""Exercise 09: a shared list and dict through a Manager.

The pattern
-----------
``multiprocessing.Manager()`` starts a server process that owns ordinary Python
objects; ``manager.list()`` and ``manager.dict()`` return *proxies* that forward each
operation to the server, so every process can use the same list or dict. Use it as
``with Manager() as manager:``; the server stops when the block ends, so copy what
you need out (``list(proxy)``, ``dict(proxy)``) before leaving it.

When to use it
--------------
Shared Python objects of any shape (lists, dicts, nested data) when speed is not the
point: every proxy operation is a round trip to the server.

The pitfall
-----------
Each single proxy operation is atomic, but a sequence of them is not:
``d[w] = d.get(w, 0) + 1`` from several processes loses updates, exactly like
``value += 1``. Count locally in each process (``collections.Counter``) and merge the
totals under a ``manager.Lock()``, or hold such a lock around each read-modify-write.

Your task
---------
Write ``add_square``, ``gather_squares`` and ``count_words``.
"""

from multiprocessing import Manager, Process  # noqa: F401  (you will need them)


def add_square(shared_list, n: int) -> None:
    """TODO: append ``n * n`` to the managed list."""
    raise NotImplementedError("add_square")


def gather_squares(numbers: list[int], n_procs: int = 4) -> list[int]:
    """TODO: split ``numbers`` among ``n_procs`` processes, each calling add_square on a
    ``Manager().list()`` for its share; return ``sorted()`` of the contents as a plain list."""
    raise NotImplementedError("gather_squares")


def count_words(words: list[str], n_procs: int = 2) -> dict[str, int]:
    """TODO: ``n_procs`` processes fill a ``Manager().dict()`` with how often each word of
    their share occurs; the counts must be exact. Return a plain dict."""
    raise NotImplementedError("count_words")


def main() -> None:
    print(gather_squares([3, 1, 2, 5, 4]))
    print(count_words(["the", "cat", "and", "the", "hat", "and", "the", "bat"]))


if __name__ == "__main__":
    main()
