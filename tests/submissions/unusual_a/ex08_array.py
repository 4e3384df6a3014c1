"""Unusual but correct: chunks from divmod, the array from an explicit context, writes through get_obj()."""

import multiprocessing as mp


def fill_squares(arr, start: int, stop: int) -> None:
    raw = arr.get_obj()
    for i in range(start, stop):
        raw[i] = i * i


def parallel_squares(size: int, n_procs: int = 4) -> list[int]:
    ctx = mp.get_context()
    arr = ctx.Array("q", size)
    base, extra = divmod(size, n_procs)
    procs, start = [], 0
    for k in range(n_procs):
        stop = start + base + (1 if k < extra else 0)
        if stop > start:
            procs.append(ctx.Process(target=fill_squares, args=(arr, start, stop)))
        start = stop
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return arr[:]
