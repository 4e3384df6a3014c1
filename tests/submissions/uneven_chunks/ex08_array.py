"""Uneven chunks: one process per chunk, but the first chunk takes almost everything."""

from multiprocessing import Array, Process


def fill_squares(arr, start: int, stop: int) -> None:
    for i in range(start, stop):
        arr[i] = i * i


def parallel_squares(size: int, n_procs: int = 4) -> list[int]:
    arr = Array("q", size)
    small = 1 if size >= n_procs else 0
    first = size - small * (n_procs - 1)
    bounds = [0, first] + [first + small * k for k in range(1, n_procs)]
    procs = [Process(target=fill_squares, args=(arr, a, b)) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return list(arr)
