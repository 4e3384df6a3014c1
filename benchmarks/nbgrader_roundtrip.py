"""nbgrader round trip over all nine exercises: time per student, points against mpgrade.

Exports the course, runs ``nbgrader generate_assignment``, hands in the released
notebooks filled with each chosen kit folder (default: the reference solutions and the
stubs), runs ``nbgrader autograde`` one student at a time, and grades the same code with
``mpgrade grade``. Prints, per student, both wall times and both totals, and every test
cell whose nbgrader points differ from mpgrade's score for its check kind (a check
skipped by either run is given its points by the notebook, so it is listed, not counted
as a difference).

    python benchmarks/nbgrader_roundtrip.py
    python benchmarks/nbgrader_roundtrip.py --students solutions tests/submissions/serial
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import catalogue  # noqa: E402

ASSIGNMENT = "all"


def nbgrader(course: Path, *args: str) -> float:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    began = time.monotonic()
    command = [sys.executable, "-m", "nbgrader", *args, "--Execute.timeout=900", "--Execute.kernel_name=python3"]
    subprocess.run(command, cwd=course, env=env, check=True, capture_output=True)
    return time.monotonic() - began


def fill(released: Path, target: Path, kit_folder: Path) -> None:
    book = json.loads(released.read_text())
    for cell in book["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if text.startswith("%%writefile"):
            first = text.split("\n", 1)[0]
            source = kit_folder / first.split()[-1]
            if source.exists():
                cell["source"] = f"{first}\n{source.read_text()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(book))


def nbgrader_points(course: Path, student: str) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        for exercise in catalogue.EXERCISES:
            notebook = book.find_submission_notebook(exercise.id, ASSIGNMENT, student)
            for grade in notebook.grades:
                found[(exercise.id, grade.name.removeprefix("mpgrade-"))] = float(grade.auto_score or 0.0)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", nargs="+", default=["solutions", "exercises"], help="kit folders to hand in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mpgrade-nbgrader-bench-") as scratch:
        course = Path(scratch) / "course"
        command = [sys.executable, "-m", "grader", "export", "nbgrader", str(course), "--assignment", ASSIGNMENT]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        generate = nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        print(f"generate_assignment of nine notebooks: {generate:.1f} s")
        print(f"{'student':28} {'autograde s':>11} {'mpgrade s':>9} {'nbgrader':>9} {'mpgrade':>8}  differences")
        for folder in args.students:
            student = Path(folder).name
            for exercise in catalogue.EXERCISES:
                released = course / "release" / ASSIGNMENT / f"{exercise.id}.ipynb"
                fill(released, course / "submitted" / student / ASSIGNMENT / released.name, ROOT / folder)
            autograde = nbgrader(course, "autograde", ASSIGNMENT, "--student", student, "--force")
            report = Path(scratch) / f"{student}.json"
            began = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "grader", "grade", str(ROOT / folder), "--json", str(report), "-q"],
                cwd=ROOT,
                capture_output=True,
                check=False,
            )
            mpgrade_s = time.monotonic() - began
            data = json.loads(report.read_text())
            theirs = nbgrader_points(course, student)
            ours: dict[tuple[str, str], float] = {}
            skipped = []
            for exercise in data["exercises"]:
                for check in exercise["checks"]:
                    key = (exercise["id"], check["kind"])
                    ours[key] = ours.get(key, 0.0) + check["score"]
                    if check["status"] == "skipped":
                        skipped.append(f"{exercise['id']}/{check['id']}")
            differ = [
                f"{e}/{k}: {theirs.get((e, k))} vs {v:g}" for (e, k), v in ours.items() if theirs.get((e, k)) != v
            ]
            note = f"  (skipped by mpgrade: {', '.join(skipped)})" if skipped else ""
            print(
                f"{student:28} {autograde:11.1f} {mpgrade_s:9.1f} {sum(theirs.values()):9g} {data['score']:8g}  "
                f"{'; '.join(differ) or 'none'}{note}"
            )
        shutil.rmtree(course, ignore_errors=True)


if __name__ == "__main__":
    main()
