"""The class report's parts without a browser: figures, causes, timelines, pseudonyms, pages.

Item analysis is checked against values worked out by hand; every failure the checks can
raise must name a cause the report knows; timelines stay bounded whatever a run did;
text from a submission is escaped in every page.
"""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from grader.batch.gradebook import APPLICATION_ID, SCHEMA_V1, SCHEMA_VERSION, Gradebook
from grader.checks import causes, timeline
from grader.checks.support import hang_cause
from grader.report import analysis, data, markdown, pseudonyms, site
from grader.sandbox.observer import ProcessRecord
from grader.sandbox.results import Output, RunResult
from grader.sandbox.stacks import Frame, ProcessStack


def _student(key: str, total: float, checks: dict[str, tuple[str, float, float]]) -> data.Student:
    student = data.Student(key, f"Name of {key}", "graded", total, 10.0, {"ex07_value": total})
    student.exercise_max["ex07_value"] = 10.0
    for name, (status, score, points) in checks.items():
        student.checks.append(
            data.CheckRow("ex07_value", name, "safety", status, score, points, f"{name} {status}", {})
        )
    return student


def test_item_analysis_by_hand() -> None:
    # Four students; check "a" is passed by the two strongest (by rest score), "b" by everybody.
    rows = [("s1", 9.0, "passed"), ("s2", 7.0, "passed"), ("s3", 3.0, "failed"), ("s4", 1.0, "failed")]
    students = [
        _student(key, total, {"a": (status, 2.0 if status == "passed" else 0.0, 2.0), "b": ("passed", 1.0, 1.0)})
        for key, total, status in rows
    ]
    stats = analysis.analyse(data._assemble("made", students))
    a, b = stats.items
    assert (a.judged, a.passed, a.difficulty) == (4, 2, 0.5)
    assert a.discrimination == 1.0  # 27% of 4 rounds to 1 student per tail: top passed, bottom failed
    # rest scores 7, 5, 3, 1: passers' mean 6, failers' 2, population sd sqrt(5), p = q = 1/2
    assert a.point_biserial == pytest.approx((6 - 2) / 5**0.5 * 0.5, abs=1e-3)
    assert (b.difficulty, b.discrimination, b.point_biserial) == (1.0, 0.0, None)
    assert [c.code for c in a.causes] == ["other"] and a.causes[0].students == 2
    assert stats.totals is not None and stats.totals.mean == 5.0 and stats.totals.median == 5.0


def test_skipped_checks_are_not_judged_and_listed_for_follow_up() -> None:
    students = [
        _student("s1", 5.0, {"a": ("skipped", 0.0, 0.0)}),
        _student("s2", 6.0, {"a": ("passed", 2.0, 2.0)}),
        _student("s3", 0.0, {"a": ("error", 0.0, 2.0)}),
    ]
    built = data._assemble("made", students)
    assert built.items[0].points == 2.0  # taken from a judged row, not the skipped one
    stats = analysis.analyse(built)
    item = stats.items[0]
    assert (item.judged, item.skipped, item.errors, item.passed) == (2, 1, 1, 1)
    assert [(f.key, f.status, f.students) for f in stats.follow_up] == [
        ("ex07_value/a", "skipped", ("s1",)),
        ("ex07_value/a", "error", ("s3",)),
    ]


@pytest.mark.parametrize(
    ("high", "edges"), [(34.0, [0, 5, 10, 15, 20, 25, 30, 35]), (1.0, [0.0, 0.1]), (100.0, [0, 10, 20])]
)
def test_histogram_has_round_bins_and_counts_everything(high: float, edges: list[float]) -> None:
    values = [0.0, high / 3, high]
    bins = analysis.histogram(values, 0.0, high)
    assert [b.start for b in bins[: len(edges)]] == pytest.approx(edges[: len(bins)])
    assert sum(b.count for b in bins) == len(values) and bins[-1].end >= high


def _cause_of(call: ast.Call) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == "cause"), None)


def test_every_failure_the_checks_raise_names_a_known_cause() -> None:
    missing, unknown = [], []
    for path in sorted((ROOT / "grader" / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("CheckFailed", "SubmissionError"):
                cause = _cause_of(node)
                where = f"{path.name}:{node.lineno}"
                if cause is None:
                    missing.append(where)
                elif isinstance(cause, ast.Constant) and cause.value not in causes.CAUSES:
                    unknown.append(f"{where} {cause.value}")
    assert not missing, f"failures without a cause: {missing}"
    assert not unknown, f"causes not in grader/checks/causes.py: {unknown}"


def _stack(role: str, text: str, blocked: str) -> ProcessStack:
    frames = (Frame("/s/ex05_queue.py", 30, "process_all", text),) if text else ()
    return ProcessStack(1, role, frames, blocked)


def _run(stacks: tuple[ProcessStack, ...] = (), processes: tuple[ProcessRecord, ...] = ()) -> RunResult:
    out = Output("", 0)
    return RunResult("timeout", None, None, {}, out, out, 0.0, 1.0, 10, processes, (), stacks, None, 1.0)


@pytest.mark.parametrize(
    ("stacks", "cause"),
    [
        (
            (
                _stack("main", "w.join()", "popen_fork.py:27 poll"),
                _stack("worker", "", "threading.py:1116 _wait_for_tstate_lock"),
            ),
            "joined-before-drain",
        ),
        (
            (_stack("main", "p.join()", "popen_fork.py:27 poll"), _stack("worker", "while True: pass", "x.py:3 spin")),
            "hang-in-join",
        ),
        ((_stack("main", "results.get()", "synchronize.py:95 __enter__"),), "waited-for-missing-result"),
        ((), "hang"),
    ],
)
def test_a_hang_is_named_by_where_the_processes_waited(stacks: tuple[ProcessStack, ...], cause: str) -> None:
    assert hang_cause(_run(stacks)) == cause


def _record(pid: int, role: str, start: float, end: float, cpu: float, ppid: int = 1) -> ProcessRecord:
    trace = tuple((start + i * 0.01, cpu * i / 1000) for i in range(1001))
    return ProcessRecord(pid, ppid, role, "python", start, end, cpu, 0, 1000, trace, pid)


def test_a_timeline_is_bounded_and_leaves_the_jail_out() -> None:
    records = (
        _record(100, "jail", 0.0, 12.0, 0.0, ppid=7),
        _record(101, "main", 0.0, 12.0, 1.0, ppid=100),
        *(_record(200 + i, "worker", 0.5 + i * 0.01, 11.0, 5.0, ppid=101) for i in range(80)),
    )
    drawn = timeline.of(_run(processes=records))
    assert drawn is not None
    assert len(drawn["processes"]) == timeline.MAX_PROCESSES and drawn["left_out"] == 81 - timeline.MAX_PROCESSES
    assert sum(len(p["busy"]) for p in drawn["processes"]) <= timeline.MAX_SAMPLES
    assert drawn["processes"][0]["role"] == "main" and drawn["processes"][0]["parent"] == 0  # the jail is not shown
    assert all(p["parent"] == 101 for p in drawn["processes"][1:])
    assert all(0.0 <= share <= 1.0 for p in drawn["processes"] for share in p["busy"])
    assert timeline.of(_run()) is None


def test_pseudonyms_are_stable_keyed_and_scrub_quotes() -> None:
    student = _student("jdoe42", 5.0, {"a": ("failed", 0.0, 1.0)})
    student.checks[0] = data.CheckRow(
        "ex07_value", "a", "safety", "failed", 0.0, 1.0, "jdoe42's Name of jdoe42 file", {}
    )
    made = data._assemble("made", [student])
    one = pseudonyms.pseudonymise(made, b"k" * 32).students[0]
    two = pseudonyms.pseudonymise(made, b"k" * 32).students[0]
    other_key = pseudonyms.pseudonymise(made, b"x" * 32).students[0]
    assert one.key == two.key != other_key.key and one.key.startswith("student-")
    assert "jdoe42" not in one.checks[0].message and one.name == ""
    assert one.check("ex07_value/a") is not None and student.key == "jdoe42"  # the original is untouched


def test_a_version_1_gradebook_gets_its_pseudonym_key(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_V1)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 1")
    book = Gradebook(path)
    key = book.pseudonym_key()
    assert len(key) == 32 and book.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    book.close()
    again = Gradebook(path)
    assert again.pseudonym_key() == key
    again.close()


def _hostile_report() -> dict[str, Any]:
    check = {
        "id": "results",
        "kind": "correctness",
        "status": "error",
        "score": 0.0,
        "max_score": 2.0,
        "message": "raised ValueError: <script>alert(1)</script>",
        "data": {"cause": "raised", "got": "</script><b>x</b>"},
    }
    exercise = {"id": "ex05_queue", "score": 0.0, "max_score": 12.0, "status": "failed", "checks": [check]}
    return {"submission": "<i>dir</i>", "score": 0.0, "max_score": 12.0, "exercises": [exercise]}


def test_submission_text_is_escaped_in_every_page(tmp_path: Path) -> None:
    made = data.from_report(_hostile_report())
    site.write_student_page(made, tmp_path / "one")
    site.write_class_site(made, tmp_path / "class")
    pages = [*tmp_path.rglob("*.html")]
    assert len(pages) == 4
    for page in pages:
        text = page.read_text()
        assert "<script>alert" not in text and "<b>x</b>" not in text and "<i>dir</i>" not in text, page


def test_a_report_never_writes_over_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(site.UsageError, match="not an mpgrade report"):
        site.write_class_site(data.from_report(_hostile_report()), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_empty_class_still_renders(tmp_path: Path) -> None:
    empty = data._assemble("none", [data.Student("x1", "", "missing", None, 0.0)])
    written = site.write_class_site(empty, tmp_path / "site")
    assert written.pages == 3 and "Every check was judged" in (tmp_path / "site" / "index.html").read_text()
    assert "# Results" in markdown.class_markdown(analysis.analyse(empty))
