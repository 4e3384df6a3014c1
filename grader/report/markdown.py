"""The class report as Markdown, short enough to paste into an LMS announcement.

It names no student: counts, the spread of totals, each exercise's mean, and the five
most-failed checks with the causes behind them.
"""

from __future__ import annotations

from grader.report.analysis import ClassStats
from grader.report.site import fmt


def class_markdown(stats: ClassStats, title: str = "Results") -> str:
    counts = stats.counts
    graded = counts.get("graded", 0)
    lines = [f"# {title}", ""]
    lines.append(f"{graded} graded, {counts.get('missing', 0)} missing, {counts.get('error', 0)} could not be graded.")
    if stats.totals is not None:
        t = stats.totals
        lines.append(
            f"Total: mean {fmt(t.mean)} of {fmt(t.max_points)}, median {fmt(t.median)}, "
            f"middle half {fmt(t.q1)} to {fmt(t.q3)}."
        )
    lines += ["", "| exercise | mean | of |", "| --- | ---: | ---: |"]
    lines += [f"| {e.label} | {fmt(e.mean)} | {fmt(e.max_points)} |" for e in stats.exercises if e.n]
    lines += ["", "## Most failed checks", ""]
    worst = stats.most_failed(5)
    if not worst:
        lines.append("Every judged check passed for everyone.")
    for rank, item in enumerate(worst, 1):
        share = f"{item.failed} of {item.judged} students"
        lines.append(f"{rank}. **{item.item.key}** ({item.item.kind}): failed by {share}")
        for cause in item.causes[:3]:
            lines.append(f"   - {cause.words}: {cause.students}")
    return "\n".join(lines) + "\n"
