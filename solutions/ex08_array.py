"""Reference solution: a shared array (see exercises/ex08_array.py)."""

from multiprocessing import Array, Process


def fill_squares(arr, start: int, stop: int) -> None:
    for i in range(start, stop):
        arr[i] = i * i


def parallel_squares(size: int, n_procs: int = 4) -> list[int]:
    arr = Array("q", size)
    base, extra = divmod(size, n_procs)
    procs = []
    start = 0
    for index in range(n_procs):
        stop = start + base + (1 if index < extra else 0)
        if stop > start:
            procs.append(Process(target=fill_squares, args=(arr, start, stop)))
        start = stop
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return list(arr)


def main() -> None:
    print(parallel_squares(10, 3))


if __name__ == "__main__":
    main()
