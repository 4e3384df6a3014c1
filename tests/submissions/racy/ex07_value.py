"""Exercise 07: fix the race on a shared Value.

The pattern
-----------
``multiprocessing.Value('i', 0)`` is one C int in shared memory that every child
process sees. ``counter.value`` reads or writes it; ``counter.get_lock()`` returns the
lock that comes with it.

When to use it
--------------
A few numbers (a counter, a flag, a total) shared by processes, without the cost of
sending messages.

The pitfall (this exercise)
---------------------------
``counter.value += 1`` is three steps: read the value, add one, write it back. Two
processes can both read 41 and both write 42: one update is lost. The program below
runs as it is, and loses updates. Make the read-modify-write atomic::

    with counter.get_lock():
        counter.value += 1

(Adding a local total under the lock once at the end is fine too.) Keep the processes
running side by side: starting and joining them one at a time hides the race without
fixing it.

Your task
---------
Fix ``increment`` (and ``parallel_count`` if you wish) so that
``parallel_count()`` always returns ``n_procs * times``.
"""

from multiprocessing import Process, Value


def increment(counter, times: int) -> None:
    """Given, racy: add 1 to ``counter.value``, ``times`` times. TODO: make it exact."""
    for _ in range(times):
        counter.value += 1


def parallel_count(n_procs: int = 4, times: int = 10_000) -> int:
    """Given: ``n_procs`` processes run increment at the same time; return the final value."""
    counter = Value("i", 0)
    procs = [Process(target=increment, args=(counter, times)) for _ in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return counter.value


def main() -> None:
    print(f"expected {4 * 10_000}, got {parallel_count()}")


if __name__ == "__main__":
    main()
