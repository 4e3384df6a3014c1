"""Vega-Lite specifications of the report's charts, built from the figures as data.

The page embeds each spec with its data; the Vega-Lite library (vendored into the site by
:mod:`grader.report.assets`) draws it in the browser, and :func:`svg` draws the same spec
server-side where no script may run. Colours are the Okabe-Ito palette and a single-hue
ramp, safe for colour-blind readers; every chart has a table with the same numbers.
"""

from __future__ import annotations

from typing import Any

from grader.report.analysis import Bin, ClassStats, Spread

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier: nothing is fetched
STATUS_COLOURS = {"passed": "#0072B2", "failed": "#D55E00", "error": "#CC79A7", "skipped": "#BBBBBB"}
ACCENT = "#0072B2"
Spec = dict[str, Any]


def _base(title: str, width: int | str = "container", height: int = 220) -> Spec:
    return {"$schema": SCHEMA, "title": title, "width": width, "height": height, "config": {"font": "sans-serif"}}


def histogram(bins: list[Bin], title: str, what: str, counted: str = "students") -> Spec:
    width = bins[0].end - bins[0].start if bins else 1.0
    return {
        **_base(title),
        "data": {"values": [{"from": b.start, "to": b.end, counted: b.count} for b in bins]},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "x": {"field": "from", "type": "quantitative", "bin": {"binned": True, "step": width}, "title": what},
            "x2": {"field": "to"},
            "y": {"field": counted, "type": "quantitative", "title": counted},
            "tooltip": [{"field": "from", "title": "from"}, {"field": "to", "title": "to"}, {"field": counted}],
        },
    }


def spreads(rows: list[Spread], title: str) -> Spec:
    values = [{**row.__dict__, "share": row.mean / row.max_points if row.max_points else 0.0} for row in rows]
    y = {"field": "label", "type": "nominal", "sort": None, "title": None}
    return {
        **_base(title, height=max(120, 28 * len(rows))),
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule", "color": "#555555"},
                "encoding": {"y": y, "x": _x("minimum"), "x2": _f("maximum")},
            },
            {
                "mark": {"type": "bar", "color": "#56B4E9", "size": 14},
                "encoding": {"y": y, "x": _x("q1"), "x2": _f("q3")},
            },
            {"mark": {"type": "tick", "color": "#000000", "size": 14}, "encoding": {"y": y, "x": _x("median")}},
            {
                "mark": {"type": "point", "filled": True, "color": "#D55E00"},
                "encoding": {
                    "y": y,
                    "x": _x("mean"),
                    "tooltip": [{"field": f} for f in ("label", "n", "mean", "sd", "median", "max_points")],
                },
            },
        ],
    }


def _x(name: str) -> Spec:
    return {"field": name, "type": "quantitative", "title": "points"}


def _f(name: str) -> Spec:
    return {"field": name}


def items(stats: ClassStats) -> Spec:
    values = [
        {"check": s.item.key, "difficulty": s.difficulty, "discrimination": s.discrimination, "judged": s.judged}
        for s in stats.items
        if s.difficulty is not None and s.discrimination is not None
    ]
    return {
        **_base("Checks: difficulty and discrimination", height=260),
        "data": {"values": values},
        "mark": {"type": "circle", "size": 70, "color": ACCENT, "opacity": 0.8},
        "encoding": {
            "x": {"field": "difficulty", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": "share passing"},
            "y": {
                "field": "discrimination",
                "type": "quantitative",
                "scale": {"domain": [-1, 1]},
                "title": "discrimination (top 27% minus bottom 27%)",
            },
            "tooltip": [{"field": f} for f in ("check", "difficulty", "discrimination", "judged")],
        },
    }


def causes(stats: ClassStats, top: int = 15) -> Spec:
    rows = sorted(
        ({"failure": f"{s.item.key}: {c.words}", "students": c.students} for s in stats.items for c in s.causes),
        key=lambda r: -int(r["students"]),  # type: ignore[call-overload]
    )[:top]
    return {
        **_base("Most common failures, by cause", height=max(120, 22 * len(rows))),
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#D55E00"},
        "encoding": {
            "y": {"field": "failure", "type": "nominal", "sort": "-x", "title": None, "axis": {"labelLimit": 420}},
            "x": {"field": "students", "type": "quantitative"},
            "tooltip": [{"field": "failure"}, {"field": "students"}],
        },
    }


def heat_map(cells: list[dict[str, str]], students: list[str], checks: list[str]) -> Spec:
    """Status of every check for every student; rows and columns in the given order."""
    return {
        **_base("Every check of every student", width=max(300, 14 * len(checks)), height=max(120, 6 * len(students))),
        "data": {"values": cells},
        "mark": {"type": "rect"},
        "encoding": {
            "x": {"field": "c", "type": "nominal", "sort": checks, "title": "check (easiest first)"},
            "y": {
                "field": "s",
                "type": "nominal",
                "sort": students,
                "title": "student (highest total first)",
                "axis": {"labels": len(students) <= 80},
            },
            "color": {
                "field": "v",
                "type": "nominal",
                "title": "status",
                "scale": {"domain": list(STATUS_COLOURS), "range": list(STATUS_COLOURS.values())},
            },
            "tooltip": [{"field": "s", "title": "student"}, {"field": "c", "title": "check"}, {"field": "v"}],
        },
    }


def timeline(drawn: dict[str, Any], title: str) -> Spec:
    """A Gantt chart of one run: each process's life (grey) and its CPU use over time (blue,
    darker is busier), the call's start and end as dashed lines."""
    lives, busy = [], []
    for order, process in enumerate(drawn.get("processes", [])):
        label = f"{process['role']} {process['pid']}"
        lives.append({"process": label, "order": order, "start": process["start"], "end": process["end"]})
        width = drawn.get("bin_s", 0.0)
        for i, share in enumerate(process.get("busy", [])):
            if share > 0:
                busy.append({"process": label, "order": order, "from": i * width, "to": (i + 1) * width, "cpu": share})
    y = {"field": "process", "type": "nominal", "sort": {"field": "order"}, "title": None}
    ends = zip(drawn.get("call", []), ("call starts", "call returns"), strict=False)
    call = [{"at": at, "what": what} for at, what in ends if at is not None]
    return {
        **_base(title, height=max(60, 22 * len(lives))),
        "layer": [
            {
                "data": {"values": lives},
                "mark": {"type": "bar", "color": "#DDDDDD", "height": 14},
                "encoding": {
                    "y": y,
                    "x": {"field": "start", "type": "quantitative", "title": "seconds"},
                    "x2": {"field": "end"},
                    "tooltip": [{"field": f} for f in ("process", "start", "end")],
                },
            },
            {
                "data": {"values": busy},
                "mark": {"type": "bar", "height": 14},
                "encoding": {
                    "y": y,
                    "x": {"field": "from", "type": "quantitative"},
                    "x2": {"field": "to"},
                    "color": {
                        "field": "cpu",
                        "type": "quantitative",
                        "title": "CPU (share of a core)",
                        "scale": {"scheme": "blues", "domain": [0, 1]},
                    },
                    "tooltip": [{"field": f} for f in ("process", "from", "to", "cpu")],
                },
            },
            {
                "data": {"values": call},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#000000"},
                "encoding": {"x": {"field": "at", "type": "quantitative"}, "tooltip": [{"field": "what"}]},
            },
        ],
    }


def svg(spec: Spec) -> str | None:
    """The chart drawn as SVG by Vega itself, server-side (None if the library is absent)."""
    try:
        import vl_convert
    except ImportError:
        return None
    fixed = {**spec, "width": 560 if spec.get("width") == "container" else spec.get("width")}
    return str(vl_convert.vegalite_to_svg(fixed))
