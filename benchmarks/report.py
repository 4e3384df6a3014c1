"""Report benchmark: render the class report of a large gradebook.

Fills a gradebook with ``--students`` synthetic students made from real JSON reports
(the reference solutions and the stubs graded once by ``mpgrade grade``, with their real
timelines): each student takes each exercise from one of them and fails a few checks
more, with their causes, drawn from a seeded random generator. Then it renders the
report as ``mpgrade gradebook FILE.db report --html OUT`` does and prints, per step,
the seconds it took, the class page's size with the assets it loads, and the whole
site's size.

    python benchmarks/report.py                     # 1,000 students
    python benchmarks/report.py --students 200 --reports DIR   # reuse DIR/{solutions,exercises}.json
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.batch.gradebook import Gradebook  # noqa: E402
from grader.batch.intake import Found  # noqa: E402
from grader.report import data, site  # noqa: E402
from grader.report.analysis import analyse  # noqa: E402

FLIPS = ["not-concurrent", "lost-updates", "joined-before-drain", "too-few-workers", "wrong-order", "left-running"]
GOALS = {"class page": 10.0, "everything": 60.0, "class page MB": 5.0}


def real_reports(folder: Path) -> dict[str, dict[str, Any]]:
    """The JSON reports of the solutions and the stubs (graded now unless already in folder)."""
    found = {}
    for name in ("solutions", "exercises"):
        path = folder / f"{name}.json"
        if not path.exists():
            print(f"grading {name} once for its report ...", flush=True)
            command = [sys.executable, "-m", "grader", "grade", name, "--json", str(path), "-q"]
            subprocess.run(command, cwd=ROOT, check=False, capture_output=True)
        found[name] = json.loads(path.read_text())
    return found


def student_report(reports: dict[str, dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    good, stub = reports["solutions"], reports["exercises"]
    made = copy.deepcopy(good)
    for index, exercise in enumerate(made["exercises"]):
        roll = rng.random()
        if roll < 0.08:
            made["exercises"][index] = copy.deepcopy(stub["exercises"][index])
            continue
        for check in exercise["checks"]:
            if check["status"] == "passed" and rng.random() < 0.12 + 0.3 * (roll > 0.7):
                cause = rng.choice(FLIPS)
                check.update(status="failed", score=0.0, message=f"made to fail ({cause}, {rng.randint(1, 999)})")
                check["data"] = {**check.get("data", {}), "cause": cause}
        exercise["score"] = round(sum(c["score"] for c in exercise["checks"]), 2)
        exercise["status"] = "passed" if exercise["score"] == exercise["max_score"] else "failed"
    made["score"] = round(sum(e["score"] for e in made["exercises"]), 2)
    return made


def fill(book: Gradebook, students: int, reports: dict[str, dict[str, Any]], seed: int) -> None:
    rng = random.Random(seed)
    found = [
        Found(f"s{i:04d}", "folders", f"class/s{i:04d}", name=f"Student {i}", files={"ex01_process.py": b"%d" % i})
        for i in range(students)
    ]
    ids = book.record_intake("class", "folders", [], found)
    exercises = [e["id"] for e in reports["solutions"]["exercises"]]
    for submission in ids:
        report = student_report(reports, rng)
        book.record_grading(submission, "0.1.0", "{}", report["environment"], exercises, time.time() - 20, report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--reports", type=Path, help="folder for the real reports (kept for the next run)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--browser", action="store_true", help="also time the pages drawn in headless Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mpgrade-report-bench-") as scratch:
        work = Path(scratch)
        reports = real_reports(args.reports or work)
        book = Gradebook(work / "class.db", create=True)
        began = time.monotonic()
        fill(book, args.students, reports, args.seed)
        filled = time.monotonic() - began
        began = time.monotonic()
        found = data.from_gradebook(book)
        loaded = time.monotonic() - began
        written = site.write_class_site(found, work / "site")
        everything = loaded + written.seconds
        class_page = loaded + sum(written.phases[p] for p in ("assets", "analysis", "class page"))
        site_bytes = sum(p.stat().st_size for p in (work / "site").rglob("*") if p.is_file())
        db_bytes = (work / "class.db").stat().st_size
        stats = analyse(found)
        book.close()
        drawn = browser_times(work / "site") if args.browser else {}
    print(f"students {args.students}, checks per student {len(found.items)}, filled in {filled:.1f} s")
    print(f"gradebook {db_bytes / 1e6:.1f} MB ({db_bytes / args.students / 1024:.0f} KiB per student)")
    print(f"{'step':16} {'seconds':>8}")
    print(f"{'load':16} {loaded:8.2f}")
    for name, seconds in written.phases.items():
        print(f"{name:16} {seconds:8.2f}")
    print(f"{'class page':16} {class_page:8.2f}   (load, assets, analysis, index.html; goal < {GOALS['class page']:g})")
    print(f"{'everything':16} {everything:8.2f}   (goal < {GOALS['everything']:g})")
    print(f"class page with its assets {written.class_page_bytes / 1e6:.2f} MB (goal < {GOALS['class page MB']:g})")
    worst = stats.most_failed(1)[0].item.key
    print(f"whole site {site_bytes / 1e6:.1f} MB in {written.pages} pages; most failed: {worst}")
    for page, seconds in drawn.items():
        print(f"in Chromium: {page} loaded with every chart drawn in {seconds:.2f} s")


def browser_times(folder: Path) -> dict[str, float]:
    import shutil

    from playwright.sync_api import sync_playwright

    times = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        for page_path in ("index.html", "heatmap.html", "students/s0001.html"):
            page = browser.new_page()
            began = time.monotonic()
            page.goto((folder / page_path).as_uri())
            page.wait_for_function("() => [...document.querySelectorAll('div.chart')].every(d => d.dataset.drawn)")
            times[page_path] = time.monotonic() - began
            page.close()
        browser.close()
    return times


if __name__ == "__main__":
    main()
