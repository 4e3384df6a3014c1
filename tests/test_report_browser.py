"""The class report, opened in a real headless Chromium.

A small class made here is graded by a real batch into a gradebook; the report is
rendered and opened from files in Debian's Chromium, driven by Playwright: no console
error, no request but the site's own files, every chart drawn, every table present, and
the numbers on the page (read back from the DOM) equal to the gradebook's, read by SQL
and by the CSV export, not by the report's code. Screenshots of the class page and of
one student page are saved under build/artifacts/.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "build" / "artifacts"
EXERCISES = ("ex07_value", "ex08_array")
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
ROSTER = {  # id -> (name, where the files come from; None: hands in nothing)
    "ada_k1": ("Ada Quillfeather", "solutions"),
    "ben_k2": ("Ben Marrowind", "exercises"),
    "cy_k3": ("Cy Tallowmere", "tests/submissions/racy"),
    "dee_k4": ("Dee Ashcombe", "tests/submissions/one_at_a_time"),
    "eve_k5": ("Eve Brackenlow", "hostile"),
    "fay_k6": ("Fay Dunholt", "empty"),
    "gus_k7": ("Gus Pellbrook", None),
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _make_class(root: Path) -> tuple[Path, Path]:
    folder = root / "class"
    for student, (_, source) in ROSTER.items():
        if source is None:
            continue
        (folder / student).mkdir(parents=True)
        for exercise in EXERCISES:
            file = f"{exercise}.py"
            if source == "hostile":
                (folder / student / file).write_text(
                    f"def increment(counter, times):\n    raise ValueError({HOSTILE!r})\n\n\n"
                    f"def parallel_count(n_procs=4, times=10000):\n    raise ValueError({HOSTILE!r})\n"
                    if exercise == "ex07_value"
                    else (ROOT / "solutions" / file).read_text()
                )
            elif source != "empty":
                origin = ROOT / source / file
                shutil.copy(origin if origin.exists() else ROOT / "solutions" / file, folder / student / file)
    roster = root / "roster.csv"
    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "name", "email"])
        for student, (name, _) in ROSTER.items():
            writer.writerow([student, name, f"{student}@example.edu"])
    return folder, roster


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    folder, roster = _make_class(root)
    book = root / "class.db"
    args = ["batch", str(folder), "--gradebook", str(book), "--roster", str(roster), "-q"]
    code, out, _, err = run_cli(*args, *(x for e in EXERCISES for x in ("-e", e)))
    assert code == 0, out + err
    paths = {"book": book, "html": root / "site", "pseudo": root / "pseudo", "md": root / "summary.md"}
    for extra in (["--html", str(paths["html"]), "--markdown", str(paths["md"])], ["--html", str(paths["pseudo"])]):
        flags = ["--pseudonymise"] if str(paths["pseudo"]) in extra else []
        code, out, _, err = run_cli("gradebook", str(book), "report", *extra, *flags)
        assert code == 0, out + err
    code, out, _, err = run_cli("gradebook", str(book), "export", "--csv", str(root / "grades.csv"), "--checks")
    assert code == 0, out + err
    paths["csv"] = root / "grades.csv"
    return paths


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Visit:
    """A page opened from a file, with every console error and request it made."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('div.chart')].every(d => d.dataset.drawn)", timeout=60_000
        )

    def clean(self) -> None:
        assert not self.errors, self.errors
        assert not self.failed, self.failed
        assert all(url.startswith("file://") for url in self.requests), self.requests

    def charts(self) -> list[str]:
        return list(self.page.eval_on_selector_all("div.chart", "ds => ds.map(d => d.dataset.drawn)"))

    def table(self, selector: str) -> list[list[str]]:
        return list(
            self.page.eval_on_selector_all(
                f"{selector} tbody tr",
                "rows => rows.map(r => [...r.cells].map(c => c.dataset.value ?? c.textContent.trim()))",
            )
        )


def _sql(book: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{book}?mode=ro", uri=True) as db:
        return list(db.execute(query))


COUNTING_CHECKS = """
SELECT s.student, c.exercise, c.check_id, c.status, c.data FROM check_results c
JOIN gradings g ON g.id = c.grading JOIN submissions s ON s.id = g.submission
WHERE g.status = 'graded' AND g.id = (
  SELECT max(g2.id) FROM gradings g2 JOIN exercise_results e2 ON e2.grading = g2.id
  WHERE g2.submission = g.submission AND g2.status = 'graded' AND e2.exercise = c.exercise)
"""


def test_class_page(site: dict[str, Path], browser: Any) -> None:
    visit = Visit(browser, site["html"] / "index.html")
    visit.clean()
    assert visit.charts() and all(state == "yes" for state in visit.charts()), visit.charts()
    for table in ("totals", "exercises", "time", "items", "causes", "follow-up", "students"):
        assert visit.table(f"#table-{table}"), f"table {table} is empty or missing"

    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(site["csv"].read_text()))}
    shown = {r[0]: r for r in visit.table("#table-students")}
    assert set(shown) == set(ROSTER)
    for student, row in rows.items():
        assert shown[student][2] == row["status"]
        assert (float(shown[student][3]) if shown[student][3] else None) == (
            float(row["total"]) if row["total"] else None
        )
    counts = Counter(row["status"] for row in rows.values())
    for status in ("graded", "missing", "error"):
        assert visit.page.text_content(f"[data-count='{status}']") == str(counts[status])

    checks = _sql(site["book"], COUNTING_CHECKS)
    causes = Counter(
        (f"{e}/{c}", json.loads(d).get("cause", "other"))
        for _, e, c, status, d in checks
        if status in ("failed", "error")
    )
    on_page = {(r[0], r[2]): int(r[3]) for r in visit.table("#table-causes")}
    assert on_page == dict(causes)
    assert ("ex07_value/no-lost-updates", "lost-updates") in on_page  # the racy student

    judged = Counter(f"{e}/{c}" for _, e, c, status, _ in checks if status != "skipped")
    passed = Counter(f"{e}/{c}" for _, e, c, status, _ in checks if status == "passed")
    for row in visit.table("#table-items"):
        assert int(row[3]) == judged[row[0]] and int(row[4]) == passed[row[0]], row
        assert float(row[5]) == pytest.approx(passed[row[0]] / judged[row[0]], abs=1e-3)

    visit.page.click("#table-students thead th:nth-child(4)")  # total, ascending
    totals = [float(r[3]) for r in visit.table("#table-students") if r[3]]
    assert totals == sorted(totals)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / "class-page.png"), full_page=True)
    printed = visit.page.pdf(path=str(ARTIFACTS / "class-page.pdf"))  # printing keeps the charts and tables
    assert printed.startswith(b"%PDF") and printed.count(b"/Type /Page") >= 3
    visit.page.close()


def test_student_pages(site: dict[str, Path], browser: Any) -> None:
    page_of = {p.stem: p for p in (site["html"] / "students").glob("*.html")}
    assert set(page_of) == set(ROSTER)
    visit = Visit(browser, page_of["dee_k4"])
    visit.clean()
    timelines = visit.page.eval_on_selector_all("table.timeline", "ts => ts.length")
    assert timelines >= 2 and visit.charts().count("yes") == len(visit.charts())
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(site["csv"].read_text()))}
    assert float(visit.page.text_content("[data-figure='total']") or "nan") == float(rows["dee_k4"]["total"])
    status = dict((r[0], r[2]) for r in visit.table("#checks-ex07_value"))
    assert status["side-by-side"].endswith("failed")  # one process at a time
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / "student-page.png"), full_page=True)
    visit.page.close()

    hostile = Visit(browser, page_of["eve_k5"])
    hostile.clean()
    assert hostile.page.evaluate("window.pwned === undefined")
    assert HOSTILE in (hostile.page.text_content("#checks-ex07_value") or "")
    hostile.page.close()

    for student, path in page_of.items():  # a student's page names no classmate and links nowhere else
        html = path.read_text()
        for other, (name, _) in ROSTER.items():
            if other != student:
                assert other not in html and name not in html, (student, other)
        assert "students/" not in html and "index.html" not in html


def test_pseudonymised_site(site: dict[str, Path]) -> None:
    texts = [p.read_text() for p in site["pseudo"].rglob("*.html")]
    for student, (name, _) in ROSTER.items():
        assert not any(student in t or name in t for t in texts), student
    names = sorted(p.stem for p in (site["pseudo"] / "students").glob("*.html"))
    assert len(names) == len(ROSTER) and all(n.startswith("student-") for n in names)
    again = site["pseudo"].parent / "pseudo-again"
    code, out, _, err = run_cli("gradebook", str(site["book"]), "report", "--html", str(again), "--pseudonymise")
    assert code == 0, out + err
    assert sorted(p.stem for p in (again / "students").glob("*.html")) == names  # stable


def test_markdown_summary(site: dict[str, Path]) -> None:
    text = site["md"].read_text()
    assert "## Most failed checks" in text and "lost updates" in text
    assert not any(student in text or name in text for student, (name, _) in ROSTER.items())


def test_students_own_page(tmp_path: Path, browser: Any) -> None:
    out = tmp_path / "mine"
    code, stdout, _, err = run_cli(
        "grade", str(ROOT / "tests/submissions/one_at_a_time"), "-e", "ex07", "--html", str(out)
    )
    assert code == 1, stdout + err
    visit = Visit(browser, out / "index.html")
    visit.clean()
    assert visit.page.eval_on_selector_all("table.timeline", "ts => ts.length") >= 1
    assert all(state == "yes" for state in visit.charts())
    visit.page.close()
