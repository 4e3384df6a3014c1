"""Unusual but correct: count locally, then add the total once under the counter's lock, via get_obj()."""

from multiprocessing import Process, Value


def increment(counter, times: int) -> None:
    local = 0
    for _ in range(times):
        local += 1
    with counter.get_lock():
        counter.get_obj().value += local


def parallel_count(n_procs: int = 4, times: int = 10_000) -> int:
    counter = Value("i", 0)
    procs = [Process(target=increment, args=(counter, times)) for _ in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return counter.value
