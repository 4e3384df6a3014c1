"""Drivers: small grader-written programs that exercise one student function.

Standard library only; they run inside the sandbox, next to the student's module,
which the harness passes as the first argument (None to the grader's own baselines,
``reference_*``, which run with none of the submission's code loaded). Drivers build what the wire cannot
carry (queues, pipes, shared values) and return plain values for the grader to judge.
The grader never takes a driver's word for parallelism: it observes the processes.
"""

from __future__ import annotations

import multiprocessing
from typing import Any


def _count_primes_below(limit: int) -> int:
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n**0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def reference_serial(module: Any, limits: list[int]) -> list[int]:
    """The grader's own CPU-bound work, serially."""
    return [_count_primes_below(limit) for limit in limits]


def reference_parallel(module: Any, limits: list[int], workers: int) -> list[int]:
    """The grader's own CPU-bound work on a pool of ``workers`` processes."""
    with multiprocessing.Pool(workers) as pool:
        return pool.map(_count_primes_below, limits, chunksize=1)


def queue_worker(module: Any, numbers: list[int], delay: float) -> list[Any]:
    """Run ``square_worker`` here on a pre-filled task queue; return what it put."""
    tasks: Any = multiprocessing.Queue()
    results: Any = multiprocessing.Queue()
    for n in numbers:
        tasks.put(n)
    tasks.put(None)
    module.square_worker(tasks, results, delay)
    return [tuple(results.get(timeout=10)) for _ in numbers]


def echo_worker(module: Any, messages: list[str]) -> dict[str, Any]:
    """Talk to ``echo_worker`` in a child process over a Pipe."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(target=module.echo_worker, args=(theirs,))
    child.start()
    theirs.close()
    replies = []
    try:
        for message in messages:
            ours.send(message)
            replies.append(ours.recv())
        ours.send(None)
    except (EOFError, OSError) as error:
        child.join(10)
        raise ChildProcessError(
            f"echo_worker's process ended (exit code {child.exitcode}) after {len(replies)} replies, "
            f"before answering {messages[len(replies)]!r}"
        ) from error
    child.join(10)
    return {"replies": replies, "exitcode": child.exitcode}


def parallel_increment(module: Any, n_procs: int, times: int) -> int:
    """``n_procs`` processes run the student's ``increment`` on one shared Value."""
    counter = multiprocessing.Value("i", 0)
    procs = [multiprocessing.Process(target=module.increment, args=(counter, times)) for _ in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return int(counter.value)


def fill_range(module: Any, size: int, start: int, stop: int) -> list[int]:
    """``fill_squares`` on an Array pre-filled with -1, here."""
    array = multiprocessing.Array("q", [-1] * size)
    module.fill_squares(array, start, stop)
    return list(array[:])


def add_squares(module: Any, numbers: list[int]) -> list[int]:
    """``add_square`` on a managed list, here; returns the list's contents."""
    with multiprocessing.Manager() as manager:
        shared = manager.list()
        for n in numbers:
            module.add_square(shared, n)
        return list(shared)


def locked_updates(module: Any, times: int) -> dict[str, Any]:
    """``increment(counter, times)`` here, counting how it reached the counter and whether
    the counter's own lock (the one ``get_lock()`` returns) was held each time."""
    counter: Any = multiprocessing.Value("i", 0)
    lock = counter.get_lock()
    kind = type(counter)
    stats = {"writes": 0, "unguarded_writes": 0, "raw_access": 0, "unguarded_raw_access": 0}
    original_value, original_get_obj = kind.__dict__["value"], kind.get_obj

    def held() -> bool:
        return bool(lock._semlock._is_mine())

    def set_value(self: Any, value: Any) -> None:
        if self is counter:
            stats["writes"] += 1
            stats["unguarded_writes"] += not held()
        original_value.fset(self, value)

    def get_obj(self: Any) -> Any:
        if self is counter:
            stats["raw_access"] += 1
            stats["unguarded_raw_access"] += not held()
        return original_get_obj(self)

    kind.value = property(original_value.fget, set_value)
    kind.get_obj = get_obj
    try:
        module.increment(counter, times)
    finally:
        kind.value, kind.get_obj = original_value, original_get_obj
    return {**stats, "value": counter.value}
