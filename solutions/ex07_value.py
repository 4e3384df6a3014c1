"""Reference solution: fix the race (see exercises/ex07_value.py)."""

from multiprocessing import Process, Value


def increment(counter, times: int) -> None:
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def parallel_count(n_procs: int = 4, times: int = 10_000) -> int:
    counter = Value("i", 0)
    procs = [Process(target=increment, args=(counter, times)) for _ in range(n_procs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return counter.value


def main() -> None:
    print(f"expected {4 * 10_000}, got {parallel_count()}")


if __name__ == "__main__":
    main()
