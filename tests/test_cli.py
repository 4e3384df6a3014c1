"""The command line: usage errors, exit codes, broken submissions explained."""

from __future__ import annotations

from pathlib import Path

from conftest import checks_by_id, run_cli


def test_usage_errors_exit_2_with_a_reason(tmp_path: Path) -> None:
    code, _, _, err = run_cli("grade", str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere does not exist" in " ".join(err.split())
    (tmp_path / "notes.txt").write_text("x")
    code, _, _, err = run_cli("grade", str(tmp_path / "notes.txt"))
    assert code == 2 and "is neither a folder nor a notebook" in " ".join(err.split())
    code, _, _, err = run_cli("grade", str(tmp_path), "-e", "ex42")
    assert code == 2 and "unknown exercise 'ex42'" in err
    code, _, _, err = run_cli("grade", str(tmp_path), "--timeout", "0")
    assert code == 2 and "--timeout must be a positive number of seconds" in err
    code, _, _, err = run_cli("grade", str(tmp_path), "--jobs", "0")
    assert code == 2 and "--jobs must be a positive whole number, got 0" in err


def test_list_names_every_exercise() -> None:
    code, out, _, _ = run_cli("list")
    assert code == 0 and out.count("\n") == 9 and "ex09_manager" in out


def test_missing_file_is_an_exercise_error_not_a_crash(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    code, out, report, _ = run_cli("grade", str(tmp_path), "-e", "ex01", "-e", "ex08", "--json", str(report_path))
    assert code == 1 and report is not None
    assert [e["status"] for e in report["exercises"]] == ["error", "error"]
    assert report["exercises"][0]["error"].startswith("file not found: expected ex01_process.py")
    assert report["score"] == 0 and report["max_score"] == 20
    assert "Fix first: ex01_process: file not found" in out


def test_broken_files_are_explained(tmp_path: Path) -> None:
    (tmp_path / "ex01_process.py").write_text("def run_both(numbers, delay=0.5):\n    return [0, 0\n")
    (tmp_path / "ex04_pool.py").write_bytes(b"# caf\xe9\n")
    (tmp_path / "ex06_pipe.py").write_text("import multiprocessing\nraise RuntimeError('at import')\n")
    (tmp_path / "ex08_array.py").symlink_to("/etc/hostname")
    (tmp_path / "ex09_manager.py").write_text(
        "from multiprocessing import Process\nimport time\nProcess(target=time.sleep, args=(0.5,)).start()\n"
    )
    code, _, report, _ = run_cli(
        "grade",
        str(tmp_path),
        "-e",
        "ex01",
        "-e",
        "ex04",
        "-e",
        "ex06",
        "-e",
        "ex08",
        "-e",
        "ex09",
        "--json",
        str(tmp_path / "r.json"),
    )
    assert code == 1 and report is not None
    errors = {e["id"]: e["error"] for e in report["exercises"]}
    assert "SyntaxError in ex01_process.py line 2" in errors["ex01_process"]
    assert "not valid UTF-8 (byte 5, line 1)" in errors["ex04_pool"]
    assert "raised RuntimeError: at import at ex06_pipe.py:2" in errors["ex06_pipe"]
    assert "symbolic link to a file outside the submission" in errors["ex08_array"]
    assert "started 1 process(es)" in errors["ex09_manager"]


def test_missing_function_and_wrong_signature_name_the_contract(tmp_path: Path) -> None:
    (tmp_path / "ex08_array.py").write_text("def fill_squares(arr, start):\n    pass\n")
    code, _, report, _ = run_cli("grade", str(tmp_path), "-e", "ex08", "--json", str(tmp_path / "r.json"))
    assert code == 1 and report is not None
    checks = checks_by_id(report, "ex08_array")
    assert "has no function parallel_squares" in checks["squares"]["message"]
    assert "parallel_squares(size: int, n_procs: int = 4)" in checks["squares"]["message"]
    assert "cannot be called as the exercise says" in checks["fill-range-only"]["message"]
    assert "fill_squares(arr, start: int, stop: int)" in checks["fill-range-only"]["message"]
