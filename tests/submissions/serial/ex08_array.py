"""Serial: the array filled by the caller."""

from multiprocessing import Array


def fill_squares(arr, start, stop):
    for i in range(start, stop):
        arr[i] = i * i


def parallel_squares(size, n_procs=4):
    arr = Array("q", size)
    fill_squares(arr, 0, size)
    return list(arr)
