"""Unusual but correct: a Process subclass that overrides run(), joined through sentinels."""

import time
from multiprocessing import Process
from multiprocessing.connection import wait


def calc_square(numbers: list[int], delay: float = 0.5) -> None:
    for n in numbers:
        time.sleep(delay)
        print(f"Square of {n}: {n * n}", flush=True)


def calc_cube(numbers: list[int], delay: float = 0.5) -> None:
    for n in numbers:
        time.sleep(delay)
        print(f"Cube of {n}: {n * n * n}", flush=True)


class Table(Process):
    def __init__(self, function, numbers: list[int], delay: float) -> None:
        super().__init__()
        self.function, self.numbers, self.delay = function, numbers, delay

    def run(self) -> None:
        self.function(self.numbers, self.delay)


def run_both(numbers: list[int], delay: float = 0.5) -> list[int]:
    tables = [Table(calc_square, numbers, delay), Table(calc_cube, numbers, delay)]
    for table in tables:
        table.start()
    pending = {table.sentinel: table for table in tables}
    while pending:
        for ready in wait(list(pending)):
            pending.pop(ready).join()
    return [table.exitcode for table in tables]
