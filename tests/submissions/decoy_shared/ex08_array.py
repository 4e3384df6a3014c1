"""Decoy: one process per chunk is started, but each fills nothing; the caller fills the array."""

import time
from multiprocessing import Array, Process


def fill_squares(arr, start: int, stop: int) -> None:
    for i in range(start, stop):
        arr[i] = i * i


def idle(arr, start: int, stop: int) -> None:
    time.sleep(0.01)


def parallel_squares(size: int, n_procs: int = 4) -> list[int]:
    arr = Array("q", size)
    bounds = [size * k // n_procs for k in range(n_procs + 1)]
    procs = [Process(target=idle, args=(arr, a, b)) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    for proc in procs:
        proc.start()
    for i in range(size):
        arr[i] = i * i
    for proc in procs:
        proc.join()
    return list(arr)
