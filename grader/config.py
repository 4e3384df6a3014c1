"""Grading settings: defaults, then ``[tool.mpgrade]`` of ./pyproject.toml, then the CLI.

Every bad value is reported with where it came from, e.g. "max_memory_mb = -1 in
pyproject.toml [tool.mpgrade]: must be a positive whole number".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.sandbox.isolation import Isolation, Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    start_methods: tuple[str, ...]
    timeout: float
    isolation: Isolation
    jobs: int = 1  # sandbox runs at once (measurements and race provocations still take the machine alone)
    root_layers: bool = True  # whether the root-only layers were asked for (a cluster's workers probe their own)
    observer: str = "proc"  # where the process observer reads: /proc ("proc") or psutil ("psutil")


POSITIVE_INT = {f.name for f in fields(Limits)}
KNOWN = POSITIVE_INT | {"timeout", "start_method", "root_layers", "jobs", "observer"}


def read_pyproject(path: Path) -> dict[str, Any]:
    """The ``[tool.mpgrade]`` table of ``path`` (empty when the file or table is absent)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from error
    table = data.get("tool", {}).get("mpgrade", {})
    unknown = sorted(set(table) - KNOWN)
    if unknown:
        raise UsageError(
            f"unknown key(s) {', '.join(unknown)} in {path} [tool.mpgrade]; known: {', '.join(sorted(KNOWN))}"
        )
    return dict(table)


def limits_from(values: dict[str, tuple[Any, str]]) -> Limits:
    """Limits from (value, where-it-came-from) pairs, each checked."""
    chosen: dict[str, int] = {}
    for name, (value, source) in values.items():
        if name not in POSITIVE_INT or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise UsageError(f"{name} = {value!r} {source}: must be a positive whole number")
        chosen[name] = value
    return replace(Limits(), **chosen)


def default_jobs() -> int:
    """Sandbox runs at once unless told: six where there are two usable cores or more (on
    two cores it grades the solutions in less than half the time of one at a time, and the
    verdict benchmark kept every verdict at six, quiet and with a busy loop beside it), one
    on a single core."""
    from grader.environment import usable_cpus

    return 6 if usable_cpus() >= 2 else 1
