"""Every exercise under fork, spawn and forkserver; fork-only code caught outside fork."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import checks_by_id, run_cli


@pytest.mark.slow
def test_solutions_pass_under_every_start_method(tmp_path: Path) -> None:
    code, out, report, _ = run_cli("grade", "solutions", "--start-method", "all", "--json", str(tmp_path / "r.json"))
    assert report is not None, out
    assert report["environment"]["start_methods"] == ["fork", "spawn", "forkserver"]
    assert code == 0, out
    for exercise in report["exercises"]:
        for check in exercise["checks"]:
            methods = check["data"]["start_methods"]
            assert set(methods) == {"fork", "spawn", "forkserver"}
            assert set(methods.values()) <= {"passed", "skipped"}, (exercise["id"], check["id"], methods)


@pytest.mark.slow
def test_fork_only_code_passes_under_fork_and_is_named_under_all(tmp_path: Path) -> None:
    folder = "tests/submissions/fork_only"
    code, _, report, _ = run_cli(
        "grade", folder, "-e", "ex01", "--start-method", "fork", "--json", str(tmp_path / "fork.json")
    )
    assert report is not None and code == 0
    code, _, report, _ = run_cli(
        "grade", folder, "-e", "ex01", "--start-method", "all", "--json", str(tmp_path / "all.json")
    )
    assert report is not None and code == 1
    check = checks_by_id(report, "ex01_process")["prints-both-tables"]
    assert check["data"]["start_methods"]["fork"] == "passed"
    assert "passed under fork" in check["message"]
    assert "lambda" in check["message"]
