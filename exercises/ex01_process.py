"""Exercise 01: start two processes.

The pattern
-----------
``multiprocessing.Process(target=f, args=(...))`` describes a child process that will run
``f(*args)``. ``start()`` launches it and returns at once; ``join()`` waits until it has
finished; afterwards ``exitcode`` says how it ended (0: normally, 1: an uncaught
exception, -N: killed by signal N).

When to use it
--------------
A handful of long, different jobs that should run side by side, each in its own
interpreter (so each can use its own CPU core, unlike threads under the GIL).

The pitfall
-----------
``p1.start(); p1.join(); p2.start(); p2.join()`` runs the jobs one after the other:
start *every* process first, then join them. And keep the target a module-level
function: under the ``spawn`` and ``forkserver`` start methods (macOS, Windows, Linux
from Python 3.14) the child imports this module to find it again, so a lambda or a
nested function cannot be used.

Your task
---------
Write ``run_both``. ``python exercises/ex01_process.py`` runs the demo; ``mpgrade grade
exercises -e ex01`` grades it.
"""

import time
from multiprocessing import Process  # noqa: F401  (you will need it)


def calc_square(numbers: list[int], delay: float = 0.5) -> None:
    """Given: print the square of each number, one every ``delay`` seconds."""
    for n in numbers:
        time.sleep(delay)
        print(f"Square of {n}: {n * n}", flush=True)


def calc_cube(numbers: list[int], delay: float = 0.5) -> None:
    """Given: print the cube of each number, one every ``delay`` seconds."""
    for n in numbers:
        time.sleep(delay)
        print(f"Cube of {n}: {n * n * n}", flush=True)


def run_both(numbers: list[int], delay: float = 0.5) -> list[int]:
    """TODO: run calc_square and calc_cube at the same time, each in its own Process.

    Create both processes with ``args=(numbers, delay)``, start both, then join both.
    Return their exit codes as ``[square_exitcode, cube_exitcode]``.
    """
    raise NotImplementedError("run_both")


def main() -> None:
    start = time.perf_counter()
    codes = run_both([2, 3, 8, 9])
    print(f"exit codes {codes}, took {time.perf_counter() - start:.2f} s (one after another: about 4 s)")


if __name__ == "__main__":
    main()
