"""Unusual but correct: a Process subclass per chunk, chunk bounds from a formula, slice assignment."""

from multiprocessing import Array, Process


def fill_squares(arr, start: int, stop: int) -> None:
    arr[start:stop] = [i * i for i in range(start, stop)]


class Filler(Process):
    def __init__(self, arr, start: int, stop: int) -> None:
        super().__init__(target=fill_squares, args=(arr, start, stop))


def parallel_squares(size: int, n_procs: int = 4) -> list[int]:
    arr = Array("q", size)
    bounds = [size * k // n_procs for k in range(n_procs + 1)]
    workers = [Filler(arr, a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return list(arr)
