"""Reports for Gradescope, JUnit readers and GitHub Actions; the exports that use them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from test_reporters import sample_report

from grader import export
from grader.reporters import github, gradescope, junit

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; MPGRADE_UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("MPGRADE_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def test_gradescope_golden() -> None:
    golden("gradescope.json", gradescope.render(gradescope.to_dict(sample_report())))


def test_junit_golden_and_structure() -> None:
    text = junit.render(sample_report())
    golden("junit.xml", text)
    root = ElementTree.fromstring(text)
    assert root.tag == "testsuites" and root.get("tests") == "4"
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("1", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["ex01_process", "ex07_value", "ex03_executor_map"]
    failure = suites[1].find("testcase/failure")
    assert failure is not None and "lost 8123 updates" in (failure.get("message") or "")
    kinds = [p.get("value") for p in suites[1].iter("property") if p.get("name") == "kind"]
    assert kinds == ["safety", "api"]


def test_github_golden() -> None:
    golden("github-summary.md", github.summary(sample_report()))
    golden("github-annotations.txt", "\n".join(github.error_annotations(sample_report())) + "\n")


def test_annotations_are_escaped_and_capped() -> None:
    report = sample_report()
    lines = github.error_annotations(report)
    assert lines[0].startswith("::error file=exercises/ex01_process.py,title=ex01_process - could not be graded::")
    assert all("\n" not in line for line in lines)
    assert github._escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_failure_results_are_valid() -> None:
    data = gradescope.failure("the check suite failed")
    assert data["score"] == 0 and data["tests"] == [] and "the check suite failed" in data["output"]


@pytest.mark.slow
def test_every_format_from_one_grading(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    code, out, report, _ = run_cli(
        "grade",
        "tests/submissions/racy",
        "-e",
        "ex07",
        "--json",
        str(tmp_path / "r.json"),
        "--gradescope",
        str(tmp_path / "g.json"),
        "--junit",
        str(tmp_path / "j.xml"),
        env=env,
    )
    assert code == 1 and report is not None
    results = json.loads((tmp_path / "g.json").read_text())
    checks = report["exercises"][0]["checks"]
    assert results["score"] == report["score"]
    assert len(results["tests"]) == len(checks)
    assert sum(t["max_score"] for t in results["tests"]) == report["max_score"]
    root = ElementTree.parse(tmp_path / "j.xml").getroot()
    assert int(root.get("tests") or 0) == len(checks)
    failed = sum(c["status"] == "failed" for c in checks)
    assert int(root.get("failures") or 0) == failed
    markdown = summary.read_text()
    assert markdown.startswith("earlier step\n## mpgrade: ") and "no-lost-updates" in markdown
    annotations = [line for line in out.splitlines() if line.startswith("::error ")]
    assert 1 <= len(annotations) <= 10
    assert annotations[0].startswith("::error file=tests/submissions/racy/ex07_value.py")


@pytest.mark.slow
def test_gradescope_autograder_zip_end_to_end(tmp_path: Path) -> None:
    archive = tmp_path / "autograder.zip"
    code, _, _, err = run_cli("export", "gradescope", str(archive), "-e", "ex07")
    assert code == 0, err
    root = tmp_path / "autograder"
    export.unzip(archive, root / "source")
    assert (root / "source" / "setup.sh").stat().st_mode & 0o111
    assert (root / "source" / "mpgrade" / "grader" / "sandbox" / "boot" / "_mpgrade_harness.py").exists()
    (root / "submission" / "upload").mkdir(parents=True)  # a student who uploaded a folder
    shutil.copy(ROOT / "solutions" / "ex07_value.py", root / "submission" / "upload")
    env = {**os.environ, "MPGRADE_AUTOGRADER_ROOT": str(root), "MPGRADE_COMMAND": f"{sys.executable} -m grader"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 12.0 and len(results["tests"]) == 5
    assert {"name", "number", "score", "max_score", "status", "output", "tags"} <= set(results["tests"][0])
    drawn = [t for t in results["tests"] if t["output_format"] == "html"]
    assert [t["tags"][1] for t in drawn] == ["concurrency"]  # side-by-side: the check with a timeline
    assert "<svg" in drawn[0]["output"] and "<table>" in drawn[0]["output"]
    installed = (root / "source" / "mpgrade" / "pyproject.toml").read_text()
    assert '"grader.report" = ["templates/*.html", "static/*"]' in installed and "vl-convert-python" in installed
    assert (root / "source" / "mpgrade" / "grader" / "report" / "templates" / "student.html").exists()


def test_run_autograder_writes_results_even_when_mpgrade_is_missing(tmp_path: Path) -> None:
    archive = tmp_path / "autograder.zip"
    export.gradescope_zip(archive, [])
    root = tmp_path / "autograder"
    export.unzip(archive, root / "source")
    (root / "submission").mkdir()
    env = {**os.environ, "MPGRADE_AUTOGRADER_ROOT": str(root), "MPGRADE_COMMAND": str(tmp_path / "no-such-mpgrade")}
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, timeout=60, check=True
    )
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "did not run" in results["output"]


def test_github_workflow_export(tmp_path: Path) -> None:
    target = export.github_workflow(tmp_path, "mpgrade==0.1.0", "exercises", 60)
    text = target.read_text()
    assert target == tmp_path / ".github" / "workflows" / "grade.yml"
    assert 'pip install "mpgrade==0.1.0"' in text and "--github" in text
    assert "--html mpgrade-page" in text and "mpgrade-page/" in text  # the student's page, kept as an artifact
    assert "actions/upload-artifact@v4" in text and 'report["score"] >= 60' in text
