"""Reporters read a fixed result model; the JSON one carries every field of the contract."""

import json
from pathlib import Path

from rich.console import Console

from grader.model import CheckOutcome, Environment, ExerciseOutcome, GradeReport, Kind, Status
from grader.reporters import json_report, terminal
from grader.reporters.files import write_atomically


def sample_report() -> GradeReport:
    failed = CheckOutcome(
        "no-lost-updates",
        Kind.SAFETY,
        Status.FAILED,
        0.0,
        4.0,
        "expected 40000, got 31877 (lost 8123 updates)",
        {"expected": 40000, "got": 31877},
    )
    passed = CheckOutcome("uses-get-lock", Kind.API, Status.PASSED, 2.0, 2.0, "", {})
    skipped = CheckOutcome("cpu-speedup", Kind.SPEEDUP, Status.SKIPPED, 0.0, 0.0, "one usable core", {})
    ex07 = ExerciseOutcome(
        "ex07_value", "Fix the race", 2.0, 6.0, Status.FAILED, None, 1.84, (failed, passed), "ex07_value.py"
    )
    ex03 = ExerciseOutcome(
        "ex03_executor_map", "Map", 0.0, 0.0, Status.PASSED, None, 2.0, (skipped,), "ex03_executor_map.py"
    )
    ex01 = ExerciseOutcome(
        "ex01_process", "Start", 0.0, 10.0, Status.ERROR, "file not found", 0.0, (), "ex01_process.py"
    )
    env = Environment("3.11.7", "linux", 2, ("forkserver",), {"pidns": True, "limits": {"max_processes": 256}})
    return GradeReport("0.1.0", "exercises", env, (ex01, ex07, ex03), 3.5)


def test_json_report_has_the_contract_fields() -> None:
    data = json.loads(json_report.render(sample_report()))
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "mpgrade", "version": "0.1.0"}
    assert (data["submission"], data["score"], data["max_score"]) == ("exercises", 2.0, 16.0)
    assert data["environment"] == {
        "python": "3.11.7",
        "platform": "linux",
        "usable_cpus": 2,
        "start_method": "forkserver",
        "start_methods": ["forkserver"],
        "isolation": {"pidns": True, "limits": {"max_processes": 256}},
    }
    ex07 = data["exercises"][1]
    assert {"id", "score", "max_score", "status", "error", "duration_s", "checks"} <= set(ex07)
    assert ex07["checks"][0] == {
        "id": "no-lost-updates",
        "kind": "safety",
        "status": "failed",
        "score": 0.0,
        "max_score": 4.0,
        "message": "expected 40000, got 31877 (lost 8123 updates)",
        "data": {"expected": 40000, "got": 31877},
    }
    assert data["exercises"][0]["error"] == "file not found"


def test_terminal_says_what_to_fix_first() -> None:
    console = Console(record=True, width=120, color_system=None)
    terminal.render(sample_report(), console)
    text = console.export_text()
    assert text.splitlines()[0].startswith("Fix first: ex01_process: file not found")
    assert "no-lost-updates: expected 40000, got 31877" in text
    assert "Not judged on this machine" in text and "ex03_executor_map/cpu-speedup" in text
    assert "Total 2/16" in text


def test_terminal_quiet_and_verbose() -> None:
    quiet = Console(record=True, width=120, color_system=None)
    terminal.render(sample_report(), quiet, quiet=True)
    assert quiet.export_text().strip().startswith("Total 2/16")
    loud = Console(record=True, width=200, color_system=None)
    terminal.render(sample_report(), loud, verbose=True)
    assert "expected=40000" in loud.export_text()


def test_reports_are_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.json"
    write_atomically(target, "{}\n")
    write_atomically(target, '{"a": 1}\n')
    assert target.read_text() == '{"a": 1}\n'
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]
