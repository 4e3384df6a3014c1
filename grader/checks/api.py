"""API checks: was the pattern the exercise teaches used, judged from what ran.

Evidence first comes from the run: the sandbox records every taught API that the
submission's own code called (``ApiEvent``), whatever the spelling (aliases, explicit
contexts, subclasses, ``with`` or explicit shutdown). Library internals do not count:
a process started by a pool, or ``submit`` called by ``Executor.map``, has a library
function as its entry. Reading the source is the fallback for a run whose recorder did
not work, and then names are resolved (imports, aliases, ``get_context``, subclasses)
rather than matched by spelling. Source never overrides the run: a call that raised
earns nothing, whatever it imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from grader.catalogue import Exercise
from grader.checks.support import CheckFailed, Submission, SubmissionError, value_of
from grader.sandbox.results import ApiEvent, RunResult

CONTEXT = "multiprocessing/context.py:"


@dataclass(frozen=True)
class ApiRule:
    """Which recorded calls show the pattern.

    ``apis``: what was called; ``entries``: other library functions through which the
    submission may have reached it (``multiprocessing.Queue()`` enters through the
    context's ``Queue``); a direct call always counts. ``source``: qualified names
    whose call in the source counts, for the fallback.
    """

    apis: frozenset[str]
    noun: str
    entries: frozenset[str] = frozenset()
    source: frozenset[str] = frozenset()

    def counts(self, event: ApiEvent) -> bool:
        return event.api in self.apis and (event.direct or event.entry in self.entries)


def _label(event: ApiEvent) -> str:
    """What the student's line called: the API itself, or the context factory that led to it."""
    if event.direct:
        return event.api
    return f"{event.entry[len(CONTEXT) :]}()" if event.entry.startswith(CONTEXT) else event.entry


def _shown(events: list[ApiEvent]) -> list[str]:
    seen: dict[str, None] = {}
    for event in events:
        seen.setdefault(f"{_label(event)} at {event.file}:{event.line}", None)
    return list(seen)[:6]


def check_api(result: RunResult, what: str, submission: Submission, rule: ApiRule, advice: str) -> dict[str, Any]:
    """Pass when the run of ``what`` used the pattern; CheckFailed saying what it used instead."""
    value_of(result, what, submission.exercise)  # a call that raised, hung or crashed earns no api point
    if not result.api_recorded:
        return _from_source(submission.source(), what, submission.exercise, rule, advice)
    used = [e for e in result.api if rule.counts(e)]
    data: dict[str, Any] = {"evidence": "inside: the sandbox's record of the calls made by the submission's code"}
    if used:
        return {**data, "used": _shown(used)}
    others = [e for e in result.api if e.direct or e.entry.startswith(CONTEXT)]
    instead = f"; it used {', '.join(_shown(others))}" if others else ""
    raise CheckFailed(f"{what} never {rule.noun}{instead}: {advice}", **data, seen=_shown(others), cause="api-not-used")


def _from_source(source: str, what: str, exercise: Exercise, rule: ApiRule, advice: str) -> dict[str, Any]:
    try:
        used = sorted(calls_in_source(source) & rule.source)
    except SyntaxError as error:
        raise SubmissionError(f"cannot read {exercise.filename}: {error}", cause="unreadable-source") from error
    data = {"evidence": "source: the run's record was not available, names were resolved in the file"}
    if not used:
        raise CheckFailed(
            f"{exercise.filename} never {rule.noun} (read from the source): {advice}", **data, cause="api-not-used"
        )
    return {**data, "used": used}


CANONICAL = {
    "multiprocessing.context.": "multiprocessing.",
    "multiprocessing.pool.": "multiprocessing.",
    "multiprocessing.queues.": "multiprocessing.",
    "multiprocessing.connection.": "multiprocessing.",
    "multiprocessing.sharedctypes.": "multiprocessing.",
    "multiprocessing.process.BaseProcess": "multiprocessing.Process",
    "multiprocessing.managers.": "multiprocessing.",
    "concurrent.futures.process.": "concurrent.futures.",
}


def _canonical(name: str) -> str:
    for prefix, replacement in CANONICAL.items():
        if name.startswith(prefix):
            return replacement + name[len(prefix) :]
    return name


class _Resolver(ast.NodeVisitor):
    """Qualified names of what a module calls, through imports, aliases, contexts,
    subclasses and names bound to instances (``x = Pool()``, ``with Pool() as x``)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.calls: set[str] = set()

    def resolve(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return _canonical(f"{base}.{node.attr}") if base else None
        if isinstance(node, ast.Call):
            callee = self.resolve(node.func)
            if callee and callee.endswith(".get_context"):
                return callee.rsplit(".", 1)[0]  # a context offers the module's API
            return callee
        return None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.names[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.names[alias.asname or alias.name] = _canonical(f"{node.module}.{alias.name}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            resolved = self.resolve(base)
            if resolved:
                self.names[node.name] = resolved
        self.generic_visit(node)

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        resolved = self.resolve(value)
        if isinstance(target, ast.Name) and resolved:
            self.names[target.id] = resolved

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:
            self._bind(target, node.value)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr)
        for statement in node.body:
            self.visit(statement)

    def visit_Call(self, node: ast.Call) -> None:
        callee = self.resolve(node.func)
        if callee:
            self.calls.add(callee)
        self.generic_visit(node)


def calls_in_source(source: str) -> set[str]:
    """Every resolvable call of a module, e.g. ``multiprocessing.Pool.map``."""
    resolver = _Resolver()
    resolver.visit(ast.parse(source))
    return resolver.calls
