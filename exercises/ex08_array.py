"""Exercise 08: fill a shared Array from several processes.

The pattern
-----------
``multiprocessing.Array('q', size)`` is a fixed-size array of C long longs (typecode
``'q'``) in shared memory, zero-filled; children index it like a list (``arr[i] = x``),
and the parent reads it back with ``list(arr)``. Give each process its own slice of
indices and no two processes ever write the same element.

When to use it
--------------
Large numeric results that every worker writes a part of, without sending them back
through a queue.

The pitfall
-----------
Uneven or overlapping chunks: split ``range(size)`` into ``n_procs`` contiguous chunks
whose lengths differ by at most one (``divmod(size, n_procs)``), skip empty chunks,
and make sure every index is covered exactly once.

Your task
---------
Write ``fill_squares`` and ``parallel_squares``.
"""

from multiprocessing import Array, Process  # noqa: F401  (you will need them)


def fill_squares(arr, start: int, stop: int) -> None:
    """TODO: ``arr[i] = i * i`` for i in range(start, stop); touch nothing else."""
    raise NotImplementedError("fill_squares")


def parallel_squares(size: int, n_procs: int = 4) -> list[int]:
    """TODO: an ``Array('q', size)`` filled by one Process per non-empty chunk.

    Split range(size) into n_procs contiguous chunks whose lengths differ by at most
    one; start one Process running fill_squares per non-empty chunk; join them all;
    return the array's contents as a plain list.
    """
    raise NotImplementedError("parallel_squares")


def main() -> None:
    print(parallel_squares(10, 3))


if __name__ == "__main__":
    main()
