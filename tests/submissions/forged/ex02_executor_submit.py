"""Forged: computes in the caller and invents worker pids."""

import os
import time
from concurrent.futures import ProcessPoolExecutor


def slow_square(n, delay):
    time.sleep(delay)
    return (n * n, os.getpid())


def slow_cube(n, delay):
    time.sleep(delay)
    return (n**3, os.getpid())


def square_and_cube(n, delay=0.5, max_workers=2):
    return ((n * n, 40000), (n**3, 40001))


def submit_all(numbers, delay=0.1, max_workers=4):
    return [(n * n, 40000 + i % max_workers) for i, n in enumerate(numbers)]


def _never():
    ProcessPoolExecutor().submit(slow_square, 1, 0)
