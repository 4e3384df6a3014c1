"""One at a time: exact, because the processes never overlap (not a fix)."""

from multiprocessing import Process, Value


def increment(counter, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def parallel_count(n_procs=4, times=10_000):
    counter = Value("i", 0)
    for _ in range(n_procs):
        proc = Process(target=increment, args=(counter, times))
        proc.start()
        proc.join()
    return counter.value
