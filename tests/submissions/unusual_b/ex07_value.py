"""Unusual but correct: `with counter:` (the same lock as get_lock()) around batches of increments."""

import multiprocessing

BATCH = 100


def increment(counter, times: int) -> None:
    done = 0
    while done < times:
        step = min(BATCH, times - done)
        lock = counter.get_lock()
        lock.acquire()
        try:
            for _ in range(step):
                counter.value += 1
        finally:
            lock.release()
        done += step


def parallel_count(n_procs: int = 4, times: int = 10_000) -> int:
    counter = multiprocessing.Value("i", 0)
    procs = [multiprocessing.Process(target=increment, args=(counter, times)) for _ in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    with counter:
        return counter.value
