"""Writing the report's pages: the class page, the heat map, one page per student.

Every page is static and self-contained within the output folder: its styles, its script
and the chart library (Vega-Lite, from the ``vl-convert-python`` package) are files in
``assets/``, and each chart's data is embedded in its page. Nothing is requested from any
network, so the site opens from a file or any static host. Text from the gradebook
(messages, names) is escaped by the templates.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from grader import __version__
from grader.errors import UsageError
from grader.report import charts
from grader.report.analysis import ClassStats, analyse
from grader.report.data import CheckRow, ClassData, Student

HIDDEN_EVIDENCE = ("timeline", "cause")
MARKER = ".mpgrade-report"  # in every folder this module wrote, so that a later report may replace it


@dataclass(frozen=True)
class Written:
    pages: int
    seconds: float
    class_page_bytes: int  # index.html and the assets it loads
    phases: dict[str, float] = field(default_factory=dict)  # seconds of each step


def _environment() -> Any:
    try:
        import jinja2
    except ImportError as error:
        raise UsageError("the HTML report needs the report extra: pip install 'mpgrade[report]'") from error
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(fmt=fmt, evidence=evidence, timeline_spec=timeline_spec, version=__version__)
    return env


def fmt(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def evidence(check: CheckRow) -> str:
    shown = {k: v for k, v in check.data.items() if k not in HIDDEN_EVIDENCE}
    return json.dumps(shown, indent=1, sort_keys=True, default=str)[:6000] if shown else ""


def timeline_spec(check: CheckRow) -> charts.Spec:
    return charts.timeline(check.data["timeline"], f"{check.key}: the run behind the check")


def slugs(students: list[Student]) -> dict[str, str]:
    """A safe, unique file name per student key."""
    found: dict[str, str] = {}
    used: set[str] = set()
    for student in students:
        slug = re.sub(r"[^A-Za-z0-9_.-]", "_", student.key).strip("._")[:60] or "student"
        if slug.lower() in used:
            slug = f"{slug}-{hashlib.sha256(student.key.encode()).hexdigest()[:8]}"
        used.add(slug.lower())
        found[student.key] = slug
    return found


def write_assets(out: Path) -> None:
    """The styles, the report's script and the chart library, into ``out/assets``."""
    try:
        import vl_convert
    except ImportError as error:
        raise UsageError("the HTML report needs the report extra: pip install 'mpgrade[report]'") from error
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    static = resources.files("grader.report") / "static"
    for name in ("report.css", "report.js"):
        (assets / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    bundle = assets / "vega.js"
    version = f"/* vl-convert-python {metadata.version('vl-convert-python')}: Vega, Vega-Lite, Vega-Embed */\n"
    if not bundle.exists() or _first_line(bundle) != version:
        bundle_js = vl_convert.javascript_bundle(None)  # type: ignore[arg-type]  # None is the default snippet
        bundle.write_text(version + bundle_js, encoding="utf-8")


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as stream:
        return stream.readline()


def class_charts(stats: ClassStats) -> dict[str, charts.Spec]:
    return {
        "totals": charts.histogram(stats.histogram, "Total scores", "total score"),
        "exercises": charts.spreads(stats.exercises, "Score per exercise: range, middle half, median, mean"),
        "time": charts.histogram(stats.grading_histogram, "Grading time", "seconds per grading", "gradings"),
        "checks": charts.items(stats),
        "causes": charts.causes(stats),
    }


def prepare(out: Path) -> None:
    """A new or empty folder, or one an earlier report wrote (its pages are removed, so that no
    page of a student, or of a name a pseudonymised report hides, outlives the new report)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file: the report takes a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{out} holds files that are not an mpgrade report: give a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    for page in [*out.glob("*.html"), *out.glob("students/*.html")]:
        page.unlink()
    (out / MARKER).write_text("written by mpgrade; a later report replaces the pages of this folder\n")


def write_class_site(data: ClassData, out: Path, pseudonymised: bool = False) -> Written:
    began = time.monotonic()
    env = _environment()
    prepare(out)
    write_assets(out)
    phases = {"assets": time.monotonic() - began}
    stats = analyse(data)
    phases["analysis"] = time.monotonic() - began - sum(phases.values())
    names = slugs(data.students)
    common = {"root": "", "source": data.source, "made": _when(data.made_at), "pseudonymised": pseudonymised}
    ranked = sorted(data.students, key=lambda s: (s.total is None, -(s.total or 0.0), s.key))
    page = env.get_template("class.html").render(
        **common,
        stats=stats,
        counts={**stats.counts, "all": len(data.students)},
        charts=class_charts(stats),
        exercises=data.exercises,
        students=ranked,
        slugs=names,
    )
    _write(out / "index.html", page)
    phases["class page"] = time.monotonic() - began - sum(phases.values())
    _write(out / "heatmap.html", _heat_map(env, common, stats, ranked))
    phases["heat map"] = time.monotonic() - began - sum(phases.values())
    (out / "students").mkdir(exist_ok=True)
    template = env.get_template("student.html")
    for student in data.students:
        html = template.render(**{**common, "root": "../"}, student=student, exercises=_exercises_of(data, student))
        _write(out / "students" / f"{names[student.key]}.html", html)
    phases["student pages"] = time.monotonic() - began - sum(phases.values())
    size = sum(p.stat().st_size for p in (out / "index.html", *(out / "assets").iterdir()))
    return Written(2 + len(data.students), time.monotonic() - began, size, phases)


def write_student_page(data: ClassData, out: Path) -> Written:
    """One submission's page (``mpgrade grade --html DIR``): DIR/index.html and its assets."""
    began = time.monotonic()
    env = _environment()
    prepare(out)
    write_assets(out)
    student = data.students[0]
    common = {"root": "", "source": data.source, "made": _when(data.made_at), "pseudonymised": False}
    html = env.get_template("student.html").render(**common, student=student, exercises=_exercises_of(data, student))
    _write(out / "index.html", html)
    size = sum(p.stat().st_size for p in (out / "index.html", *(out / "assets").iterdir()))
    return Written(1, time.monotonic() - began, size)


def _heat_map(env: Any, common: dict[str, Any], stats: ClassStats, ranked: list[Student]) -> str:
    graded = [s for s in ranked if s.status == "graded"]
    order = sorted(stats.items, key=lambda i: (-(i.difficulty if i.difficulty is not None else -1), i.item.key))
    checks = [i.item.key for i in order]
    cells = [
        {"s": s.key, "c": key, "v": row.status} for s in graded for key in checks if (row := s.check(key)) is not None
    ]
    spec = charts.heat_map(cells, [s.key for s in graded], checks)
    return str(env.get_template("heatmap.html").render(**common, spec=spec, students=graded, checks=checks))


def _exercises_of(data: ClassData, student: Student) -> list[str]:
    own = set(student.exercises) | {c.exercise for c in student.checks}
    return [e for e in data.exercises if e in own]


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
