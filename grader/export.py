"""Exports for course infrastructure: a Gradescope autograder zip, a GitHub workflow."""

from __future__ import annotations

import importlib.metadata
import stat
import zipfile
from pathlib import Path

from grader import __version__
from grader.errors import UsageError
from grader.reporters.files import write_atomically

PACKAGE = Path(__file__).resolve().parent

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
if ! command -v python3 >/dev/null || ! python3 -c 'import venv' 2>/dev/null; then
    apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
fi
python3 -m venv /autograder/mpgrade-venv
# the report extra draws the process timelines in the results; grading works without it
/autograder/mpgrade-venv/bin/pip install --quiet "/autograder/source/mpgrade[report]" \
    || /autograder/mpgrade-venv/bin/pip install --quiet /autograder/source/mpgrade
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. MPGRADE_AUTOGRADER_ROOT moves the root (tests do).
ROOT="${MPGRADE_AUTOGRADER_ROOT:-/autograder}"
MPGRADE="${MPGRADE_COMMAND:-$ROOT/mpgrade-venv/bin/mpgrade}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
SUBMISSION="$ROOT/submission"
if ! ls "$SUBMISSION"/ex[0-9][0-9]_*.py >/dev/null 2>&1; then
    # the student uploaded a folder: use the first one that holds exercise files
    FOUND=$(ls -d "$SUBMISSION"/*/ 2>/dev/null | while read -r dir; do
        ls "$dir"ex[0-9][0-9]_*.py >/dev/null 2>&1 && echo "$dir" && break; done)
    SUBMISSION="${FOUND:-$SUBMISSION}"
fi
cd "$ROOT/source"
$MPGRADE grade "$SUBMISSION" {exercises}--gradescope "$RESULTS" -q
STATUS=$?
if [ ! -s "$RESULTS" ]; then
    MESSAGE="mpgrade did not run (exit $STATUS); see the autograder log"
    printf '{"score": 0, "output": "%s", "tests": []}\\n' "$MESSAGE" > "$RESULTS"
fi
exit 0
"""

WORKFLOW = """# Grades the exercises on every push and pull request with mpgrade.
name: grade
on: [push, pull_request, workflow_dispatch]
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install mpgrade
        run: python -m pip install "{install}"
      - name: Grade
        run: mpgrade grade {path} --json mpgrade-report.json --html mpgrade-page --github || true
      - name: Keep the report and your results page (open mpgrade-page/index.html)
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: mpgrade-report
          path: |
            mpgrade-report.json
            mpgrade-page/
      - name: Require at least {min_score:g} points
        run: |
          python - <<'PY'
          import json, sys
          report = json.load(open("mpgrade-report.json"))
          print(f"score {{report['score']}} of {{report['max_score']}}; required {min_score:g}")
          sys.exit(0 if report["score"] >= {min_score:g} else 1)
          PY
"""


def _pyproject() -> str:
    requirements = importlib.metadata.requires("mpgrade") or []
    runtime = [r for r in requirements if "extra ==" not in r]
    listed = "".join(f'    "{r}",\n' for r in runtime)
    report = [r.split(";")[0].strip() for r in requirements if 'extra == "report"' in r]
    extra = "".join(f'    "{r}",\n' for r in report)
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "mpgrade"\nversion = "{__version__}"\nrequires-python = ">=3.10"\n'
        f"dependencies = [\n{listed}]\n\n[project.optional-dependencies]\nreport = [\n{extra}]\n\n"
        '[project.scripts]\nmpgrade = "grader.cli:main"\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["grader*"]\n\n'
        '[tool.setuptools.package-data]\n"grader.checks" = ["pytest.ini"]\n'
        '"grader.report" = ["templates/*.html", "static/*"]\n'
    )


def _add_text(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name)
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, text)


def gradescope_zip(target: Path, exercises: list[str]) -> list[str]:
    """Write the autograder zip; returns the names it holds."""
    if target.suffix != ".zip":
        raise UsageError(f"{target} should end in .zip (Gradescope takes a zip file)")
    selection = "".join(f"-e {e} " for e in exercises)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", SETUP_SH, executable=True)
        _add_text(archive, "run_autograder", RUN_AUTOGRADER.replace("{exercises}", selection), executable=True)
        _add_text(archive, "mpgrade/pyproject.toml", _pyproject())
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, f"mpgrade/grader/{path.relative_to(PACKAGE)}")
        return archive.namelist()


def github_workflow(directory: Path, install: str, path: str, min_score: float) -> Path:
    target = directory / ".github" / "workflows" / "grade.yml"
    write_atomically(target, WORKFLOW.format(install=install, path=path, min_score=min_score))
    return target


def unzip(archive: Path, into: Path) -> None:
    """Extract keeping the executable bits (as Gradescope does)."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            extracted = Path(opened.extract(info, into))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                extracted.chmod(mode)
