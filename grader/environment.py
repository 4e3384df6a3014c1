"""What this machine offers the grading: usable cores, start methods, versions."""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

from grader.model import Environment
from grader.sandbox.isolation import Isolation

START_METHODS = ("fork", "spawn", "forkserver")


def _cgroup_quota_cpus() -> float | None:
    """CPUs allowed by a cgroup CPU quota (v2 ``cpu.max``, v1 ``cfs_quota_us``), if any."""
    candidates = [
        (Path("/sys/fs/cgroup/cpu.max"), None),
        (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")),
    ]
    for quota_path, period_path in candidates:
        try:
            text = quota_path.read_text().split()
        except OSError:
            continue
        if period_path is None:
            if text and text[0] != "max":
                return int(text[0]) / int(text[1])
        elif text and int(text[0]) > 0:
            return int(text[0]) / int(period_path.read_text())
    return None


def usable_cpus() -> int:
    """Cores this process may really run on: affinity, capped by any cgroup quota."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_quota_cpus()
    if quota is not None:
        count = min(count, max(1, int(quota)))
    return max(1, count)


def available_start_methods() -> tuple[str, ...]:
    return tuple(m for m in START_METHODS if m in multiprocessing.get_all_start_methods())


def default_start_method() -> str:
    """The method that catches fork-only code: forkserver where it exists, else spawn."""
    return "forkserver" if "forkserver" in available_start_methods() else "spawn"


def describe(start_methods: tuple[str, ...], isolation: Isolation | None = None) -> Environment:
    layers = dict(isolation.layers.report()) if isolation else {}
    limits = asdict(isolation.limits) if isolation else {}
    return Environment(
        isolation={**layers, "limits": limits},
        python=platform.python_version(),
        platform=sys.platform,
        usable_cpus=usable_cpus(),
        start_methods=start_methods,
    )
