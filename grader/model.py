"""The result model: closed sets of statuses and kinds, frozen outcomes.

Outcomes are plain data. Reporters read them; they never render themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Kind(str, Enum):
    CORRECTNESS = "correctness"
    PROCESSES = "processes"
    CONCURRENCY = "concurrency"
    SPEEDUP = "speedup"
    SAFETY = "safety"
    CLEANUP = "cleanup"
    API = "api"


@dataclass(frozen=True)
class CheckOutcome:
    """One check of one exercise, merged over the start methods it ran under."""

    id: str
    kind: Kind
    status: Status
    score: float
    max_score: float
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExerciseOutcome:
    id: str
    title: str
    score: float
    max_score: float
    status: Status
    error: str | None
    duration_s: float
    checks: tuple[CheckOutcome, ...]
    file: str | None = None
    error_line: int | None = None


@dataclass(frozen=True)
class Environment:
    python: str
    platform: str
    usable_cpus: int
    start_methods: tuple[str, ...]
    isolation: dict[str, Any] = field(default_factory=dict)

    @property
    def start_method(self) -> str:
        return ",".join(self.start_methods)


@dataclass(frozen=True)
class GradeReport:
    tool_version: str
    submission: str
    environment: Environment
    exercises: tuple[ExerciseOutcome, ...]
    duration_s: float

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 2)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 2)

    @property
    def all_passed(self) -> bool:
        return all(e.status is Status.PASSED for e in self.exercises)
