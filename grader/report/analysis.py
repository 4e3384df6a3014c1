"""The class in figures: score spread, item analysis, failures by cause, follow-up.

Item analysis follows classical test theory. For each check, among the graded students
on whom it was judged (a skipped check is not judged): the share who passed it (its
difficulty, higher is easier), its discrimination (the share passing among the top 27%
of the class minus the share among the bottom 27%) and the point-biserial correlation
between passing it and the score. Both rank students by their *rest score* (the total
without this check's own points), so a check does not correlate with itself.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from grader.checks import causes
from grader.report.data import ClassData, Item, Student

TAIL = 0.27
JUDGED = ("passed", "failed", "error")


@dataclass(frozen=True)
class CauseCount:
    code: str
    words: str
    students: int
    example: str  # one student's message, as written for them


@dataclass(frozen=True)
class ItemStats:
    item: Item
    judged: int
    passed: int
    skipped: int
    errors: int
    difficulty: float | None  # share of the judged who passed
    discrimination: float | None  # upper 27% minus lower 27%
    point_biserial: float | None
    causes: tuple[CauseCount, ...]

    @property
    def failed(self) -> int:
        return self.judged - self.passed


@dataclass(frozen=True)
class Spread:
    label: str
    n: int
    mean: float
    sd: float
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float
    max_points: float


@dataclass(frozen=True)
class Bin:
    start: float
    end: float
    count: int


@dataclass(frozen=True)
class FollowUp:
    key: str  # exercise/check
    status: str  # skipped or error
    students: tuple[str, ...]
    message: str


@dataclass
class ClassStats:
    counts: dict[str, int]
    totals: Spread | None
    histogram: list[Bin]
    exercises: list[Spread]
    items: list[ItemStats]
    grading_seconds: Spread | None
    grading_histogram: list[Bin]
    follow_up: list[FollowUp] = field(default_factory=list)

    def most_failed(self, n: int = 5) -> list[ItemStats]:
        failing = [i for i in self.items if i.failed]
        return sorted(failing, key=lambda i: (-i.failed, i.item.key))[:n]


def analyse(data: ClassData) -> ClassStats:
    graded = [s for s in data.students if s.status == "graded" and s.total is not None]
    totals = [s.total for s in graded if s.total is not None]
    max_total = max((s.max_total for s in graded), default=0.0)
    seconds = [g.ended_at - g.started_at for s in graded for g in s.gradings[-1:] if g.status == "graded"]
    return ClassStats(
        counts=dict(Counter(s.status for s in data.students)),
        totals=spread("total", totals, max_total),
        histogram=histogram(totals, 0.0, max_total or 1.0),
        exercises=[_exercise_spread(graded, e) for e in data.exercises],
        items=[item_stats(item, graded) for item in data.items],
        grading_seconds=spread("seconds", seconds, 0.0),
        grading_histogram=histogram(seconds, 0.0, max(seconds, default=1.0)),
        follow_up=follow_up(data),
    )


def _exercise_spread(graded: list[Student], exercise: str) -> Spread:
    scores = [s.exercises[exercise] for s in graded if s.exercises.get(exercise) is not None]
    points = max((s.exercise_max.get(exercise, 0.0) for s in graded), default=0.0)
    return spread(exercise, [x for x in scores if x is not None], points) or Spread(
        exercise, 0, 0, 0, 0, 0, 0, 0, 0, points
    )


def spread(label: str, values: list[float], max_points: float) -> Spread | None:
    if not values:
        return None
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 3
    return Spread(
        label,
        len(ordered),
        round(statistics.fmean(ordered), 2),
        round(statistics.pstdev(ordered), 2),
        ordered[0],
        round(quartiles[0], 2),
        round(statistics.median(ordered), 2),
        round(quartiles[2], 2),
        ordered[-1],
        max_points,
    )


def histogram(values: list[float], low: float, high: float, about: int = 10) -> list[Bin]:
    """About ``about`` equal bins of a round width (1, 2 or 5 times a power of ten) from low
    to past high; a value on a bin's upper edge counts in the next one, high in the last."""
    if high <= low:
        high = low + 1.0
    width = nice_step((high - low) / about)
    bins = max(1, math.ceil((high - low) / width - 1e-9))
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / width)))] += 1
    return [Bin(round(low + i * width, 3), round(low + (i + 1) * width, 3), c) for i, c in enumerate(counts)]


def nice_step(raw: float) -> float:
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= raw - 1e-12))


def item_stats(item: Item, graded: list[Student]) -> ItemStats:
    outcomes: list[tuple[float, bool]] = []  # (rest score, passed)
    skipped = errors = 0
    reasons: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for student in graded:
        check = student.check(item.key)
        if check is None:
            continue
        if check.status == "skipped":
            skipped += 1
            continue
        errors += check.status == "error"
        outcomes.append(((student.total or 0.0) - check.score, check.status == "passed"))
        cause = check.cause
        if cause is not None:
            reasons[cause] += 1
            examples.setdefault(cause, check.message)
    passed = sum(1 for _, ok in outcomes if ok)
    return ItemStats(
        item=item,
        judged=len(outcomes),
        passed=passed,
        skipped=skipped,
        errors=errors,
        difficulty=round(passed / len(outcomes), 3) if outcomes else None,
        discrimination=discrimination(outcomes),
        point_biserial=point_biserial(outcomes),
        causes=tuple(
            CauseCount(code, causes.words(code), count, examples[code])
            for code, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
    )


def discrimination(outcomes: list[tuple[float, bool]]) -> float | None:
    """Pass share of the top 27% by rest score minus that of the bottom 27% (ties broken
    by order of arrival, so a class where everyone scored the same gives 0)."""
    k = round(len(outcomes) * TAIL)
    if k < 1 or len(outcomes) < 4:
        return None
    ranked = sorted(outcomes, key=lambda o: o[0])
    low, high = ranked[:k], ranked[-k:]
    return round(sum(ok for _, ok in high) / k - sum(ok for _, ok in low) / k, 3)


def point_biserial(outcomes: list[tuple[float, bool]]) -> float | None:
    """Correlation between passing (1/0) and the rest score; None when either is constant."""
    if len(outcomes) < 3:
        return None
    scores = [score for score, _ in outcomes]
    sd = statistics.pstdev(scores)
    passed = [score for score, ok in outcomes if ok]
    failed = [score for score, ok in outcomes if not ok]
    if sd == 0 or not passed or not failed:
        return None
    p = len(passed) / len(outcomes)
    return round((statistics.fmean(passed) - statistics.fmean(failed)) / sd * math.sqrt(p * (1 - p)), 3)


def follow_up(data: ClassData) -> list[FollowUp]:
    """Checks that were skipped (the machine could not judge them) or errored, with whom."""
    groups: dict[tuple[str, str], list[str]] = {}
    messages: dict[tuple[str, str], str] = {}
    for student in data.students:
        for check in student.checks:
            if check.status in ("skipped", "error"):
                groups.setdefault((check.key, check.status), []).append(student.key)
                messages.setdefault((check.key, check.status), check.message)
    return [
        FollowUp(key, status, tuple(students), messages[(key, status)])
        for (key, status), students in sorted(groups.items(), key=lambda kv: (kv[0][1] != "skipped", -len(kv[1])))
    ]
