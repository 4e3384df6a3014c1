"""End to end through the real CLI: solutions, stubs, and the flawed submissions."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SUBMISSIONS, assert_expected, run_cli

FLAWED = sorted(p.name for p in SUBMISSIONS.iterdir() if (p / "expected.json").exists())


def exercise_args(folder: Path) -> list[str]:
    args: list[str] = []
    for file in sorted(folder.glob("ex*.py")):
        args += ["-e", file.stem]
    return args


@pytest.mark.slow
def test_solutions_score_full_marks(tmp_path: Path) -> None:
    gradescope, junit = tmp_path / "g.json", tmp_path / "j.xml"
    code, out, report, _ = run_cli(
        "grade", "solutions", "--json", str(tmp_path / "r.json"), "--gradescope", str(gradescope), "--junit", str(junit)
    )
    assert report is not None, out
    assert code == 0, out
    checks = sum(len(e["checks"]) for e in report["exercises"])
    results = json.loads(gradescope.read_text())
    assert results["score"] == report["score"] and len(results["tests"]) == checks
    root = ElementTree.parse(junit).getroot()
    assert int(root.get("tests") or 0) == checks and root.get("failures") == "0" and root.get("errors") == "0"
    assert report["score"] == report["max_score"]
    assert all(e["status"] == "passed" for e in report["exercises"])
    assert len(report["exercises"]) == 9
    assert report["max_score"] >= 94  # at most a skipped speedup check or two on a busy machine


@pytest.mark.slow
@pytest.mark.parametrize("name", ["unusual_a", "unusual_b"])
def test_unusual_but_correct_submissions_score_full_marks(name: str, tmp_path: Path) -> None:
    """Subclasses, explicit contexts and managers, as_completed, starmap, JoinableQueue, one-way
    pipes, batched locking, get_obj(): spellings the stubs do not suggest lose nothing."""
    code, out, report, err = run_cli("grade", f"tests/submissions/{name}", "--json", str(tmp_path / "r.json"))
    assert report is not None, out + err
    failed = [
        (e["id"], c["id"], c["message"]) for e in report["exercises"] for c in e["checks"] if c["status"] != "passed"
    ]
    assert not [f for f in failed if f[2] and "too busy" not in f[2] and "inconclusive" not in f[2]], failed
    assert all(c["status"] in ("passed", "skipped") for e in report["exercises"] for c in e["checks"]), failed


@pytest.mark.slow
def test_stubs_score_at_most_a_fifth(tmp_path: Path) -> None:
    code, _, report, _ = run_cli("grade", "exercises", "--json", str(tmp_path / "r.json"))
    assert code == 1 and report is not None
    for exercise in report["exercises"]:
        assert exercise["status"] == "failed", exercise["id"]
        assert exercise["score"] <= 0.2 * exercise["max_score"], exercise["id"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FLAWED)
def test_flawed_submission(name: str, tmp_path: Path) -> None:
    folder = SUBMISSIONS / name
    expected: dict[str, Any] = json.loads((folder / "expected.json").read_text())
    code, out, report, err = run_cli(
        "grade", str(folder.relative_to(ROOT)), *exercise_args(folder), "--json", str(tmp_path / "r.json")
    )
    assert code == 1 and report is not None, out + err
    assert_expected(report, expected)
