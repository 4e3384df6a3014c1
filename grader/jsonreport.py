"""Adapter over pytest-json-report's output (pinned 1.5.0, kept behind this one module).

Each check test carries ``metadata["mpgrade"]`` written by :mod:`grader.checks.plugin`;
this module turns the report's ``tests`` into :class:`RawCheck` rows and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.errors import CheckRunError
from grader.model import Kind, Status


@dataclass(frozen=True)
class RawCheck:
    """One check under one start method, as pytest ran it."""

    exercise: str
    check: str
    kind: Kind
    points: float
    start_method: str | None
    status: Status
    message: str
    data: dict[str, Any]
    grader_fault: bool
    duration_s: float


def _duration(test: dict[str, Any]) -> float:
    return float(sum(test.get(phase, {}).get("duration", 0.0) for phase in ("setup", "call", "teardown")))


def read_report(report: dict[str, Any]) -> list[RawCheck]:
    """Rows for every test of the report; a test without our metadata is a fault of the suite."""
    rows = []
    for test in report.get("tests", []):
        meta = test.get("metadata", {}).get("mpgrade")
        if not isinstance(meta, dict):
            crash = test.get("setup", {}).get("longrepr") or test.get("call", {}).get("longrepr") or ""
            raise CheckRunError(f"check {test.get('nodeid')} ended without a verdict: {str(crash)[-800:]}")
        rows.append(
            RawCheck(
                exercise=meta["exercise"],
                check=meta["check"],
                kind=Kind(meta["kind"]),
                points=float(meta["points"]),
                start_method=meta.get("start_method"),
                status=Status(meta["status"]),
                message=meta.get("message", ""),
                data=meta.get("data", {}),
                grader_fault=bool(meta.get("grader_fault")),
                duration_s=_duration(test),
            )
        )
    for collector in report.get("collectors", []):
        if collector.get("outcome") == "failed":
            raise CheckRunError(f"a check file could not be collected: {str(collector.get('longrepr'))[-800:]}")
    return rows
