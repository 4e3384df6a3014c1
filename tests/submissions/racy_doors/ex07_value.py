"""Racy through another door: the increment goes through the raw get_obj(), with no lock."""

from multiprocessing import Process, Value


def increment(counter, times: int) -> None:
    raw = counter.get_obj()
    for _ in range(times):
        raw.value += 1


def parallel_count(n_procs: int = 4, times: int = 10_000) -> int:
    counter = Value("i", 0)
    procs = [Process(target=increment, args=(counter, times)) for _ in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return counter.value
