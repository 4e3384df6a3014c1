"""The whole machine's busy CPU time, from ``/proc/stat`` (Linux; None elsewhere).

A grading's own CPU as ``getrusage`` of its children sees it leaves out much of what the
grading costs: processes that no waiting parent reaps (a PID namespace's last processes,
those a cgroup kill ends), and the kernel's own work for namespaces, mounts and cgroups.
On a machine that runs nothing else, the busy time of all its cores while a command runs
is that command's full cost.
"""

from __future__ import annotations

import os
from pathlib import Path

STAT = Path("/proc/stat")


def busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        fields = STAT.read_text().splitlines()[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def busy_between(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before
