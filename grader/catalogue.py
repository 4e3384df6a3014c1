"""The exercises the grader knows: ids, titles, points and the contract's signatures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CHECKS_DIR = Path(__file__).resolve().parent / "checks"


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    points: float
    signatures: dict[str, str]

    @property
    def filename(self) -> str:
        return f"{self.id}.py"

    @property
    def check_file(self) -> Path:
        return CHECKS_DIR / f"test_{self.id}.py"


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "ex01_process",
        "Start two processes",
        10,
        {"run_both": "run_both(numbers: list[int], delay: float = 0.5) -> list[int]"},
    ),
    Exercise(
        "ex02_executor_submit",
        "Submit different tasks",
        10,
        {
            "square_and_cube": "square_and_cube(n: int, delay: float = 0.5, max_workers: int = 2)",
            "submit_all": "submit_all(numbers: list[int], delay: float = 0.1, max_workers: int = 4)",
        },
    ),
    Exercise(
        "ex03_executor_map",
        "The same function over many inputs",
        12,
        {
            "count_primes_parallel": "count_primes_parallel(limits: list[int], max_workers: int = 2) -> list[int]",
            "square_with_pid": "square_with_pid(n: int, delay: float = 0.0) -> tuple[int, int]",
            "map_squares": "map_squares(numbers: list[int], delay: float = 0.05, max_workers: int = 4)",
        },
    ),
    Exercise(
        "ex04_pool",
        "multiprocessing.Pool",
        12,
        {
            "pool_squares": "pool_squares(numbers: list[int], processes: int = 4) -> list[int]",
            "pool_count_primes": "pool_count_primes(limits: list[int], processes: int = 2) -> list[int]",
        },
    ),
    Exercise(
        "ex05_queue",
        "Producer and consumers",
        12,
        {
            "square_worker": "square_worker(tasks, results, delay: float = 0.0) -> None",
            "process_all": "process_all(numbers: list[int], n_workers: int = 3, delay: float = 0.0)",
        },
    ),
    Exercise(
        "ex06_pipe",
        "Two-way messages",
        10,
        {"echo_worker": "echo_worker(conn) -> None", "echo_all": "echo_all(messages: list[str]) -> list[str]"},
    ),
    Exercise(
        "ex07_value",
        "Fix the race",
        12,
        {
            "increment": "increment(counter, times: int) -> None",
            "parallel_count": "parallel_count(n_procs: int = 4, times: int = 10_000) -> int",
        },
    ),
    Exercise(
        "ex08_array",
        "A shared array",
        10,
        {
            "fill_squares": "fill_squares(arr, start: int, stop: int) -> None",
            "parallel_squares": "parallel_squares(size: int, n_procs: int = 4) -> list[int]",
        },
    ),
    Exercise(
        "ex09_manager",
        "Shared list and dict",
        12,
        {
            "add_square": "add_square(shared_list, n: int) -> None",
            "gather_squares": "gather_squares(numbers: list[int], n_procs: int = 4) -> list[int]",
            "count_words": "count_words(words: list[str], n_procs: int = 2) -> dict[str, int]",
        },
    ),
)

BY_ID = {exercise.id: exercise for exercise in EXERCISES}


def resolve(ids: list[str]) -> tuple[Exercise, ...]:
    """Exercises by id or unique prefix (``ex03`` names ``ex03_executor_map``)."""
    from grader.errors import UsageError

    if not ids:
        return EXERCISES
    chosen: list[Exercise] = []
    for wanted in ids:
        matches = [e for e in EXERCISES if e.id == wanted or e.id.startswith(wanted + "_") or e.id == wanted]
        if len(matches) != 1:
            known = ", ".join(e.id for e in EXERCISES)
            raise UsageError(f"unknown exercise {wanted!r}: choose from {known} (or a prefix such as ex03)")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return tuple(chosen)
