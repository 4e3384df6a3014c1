"""Intake: every download shape instructors get, and every bad input, found and reported."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from grader.batch import intake

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = (ROOT / "solutions" / "ex01_process.py").read_bytes()
STUB = (ROOT / "exercises" / "ex01_process.py").read_bytes()


def read(path: Path, tmp_path: Path) -> intake.Intake:
    staging = tmp_path / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    return intake.read(path, staging)


def by_key(found: intake.Intake) -> dict[str, intake.Found]:
    return {item.key: item for item in found.submissions}


def test_student_folders_with_files_at_any_depth(tmp_path: Path) -> None:
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "ex01_process.py").write_bytes(SOLUTION)
    deep = tmp_path / "class" / "bob" / "repo" / "src"
    deep.mkdir(parents=True)
    (deep / "ex01_process.py").write_bytes(STUB)
    (deep / "helper.py").write_text("X = 1\n")
    found = read(tmp_path / "class", tmp_path)
    assert found.shape == "folders"
    students = by_key(found)
    assert set(students) == {"alice", "bob"}
    assert set(students["bob"].files) == {"ex01_process.py", "helper.py"}  # helpers beside it travel along
    assert students["alice"].exercises == ("ex01_process",)
    assert students["alice"].fingerprint != students["bob"].fingerprint


def test_github_classroom_keys_are_usernames(tmp_path: Path) -> None:
    for user in ("ada", "grace"):
        (tmp_path / "class" / f"mp-assignment-{user}").mkdir(parents=True)
        (tmp_path / "class" / f"mp-assignment-{user}" / "ex01_process.py").write_bytes(SOLUTION)
    found = read(tmp_path / "class", tmp_path)
    assert found.shape == "github-classroom" and set(by_key(found)) == {"ada", "grace"}
    assert len({item.fingerprint for item in found.submissions}) == 1  # identical work, one fingerprint


def zip_of(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in files.items():
            zipped.writestr(name, content)
    return path


def test_a_zip_per_student_and_one_zip_holding_them(tmp_path: Path) -> None:
    folder = tmp_path / "zips"
    folder.mkdir()
    zip_of(folder / "s1.zip", {"work/ex01_process.py": SOLUTION})
    zip_of(folder / "s2.zip", {"ex01_process.py": STUB})
    found = read(folder, tmp_path)
    assert found.shape == "zips" and set(by_key(found)) == {"s1", "s2"}
    outer = zip_of(tmp_path / "all.zip", {"s1.zip": (folder / "s1.zip").read_bytes()})
    again = read(outer, tmp_path / "second")
    assert again.shape == "zips" and by_key(again)["s1"].exercises == ("ex01_process",)


def test_canvas_download(tmp_path: Path) -> None:
    folder = tmp_path / "canvas"
    folder.mkdir()
    (folder / "lovelaceada_1001_5001_ex01_process.py").write_bytes(STUB)
    (folder / "lovelaceada_1001_5002_ex01_process-1.py").write_bytes(SOLUTION)  # re-upload: a later submission
    (folder / "hoppergrace_LATE_1002_5003_ex01_process.py").write_bytes(SOLUTION)
    own = zip_of(tmp_path / "mine.zip", {"hw/ex01_process.py": SOLUTION})
    (folder / "turingalan_1003_5004_mine.zip").write_bytes(own.read_bytes())
    found = read(folder, tmp_path)
    assert found.shape == "canvas"
    keys = [(item.key, item.order) for item in found.submissions]
    assert ("1001", (5001,)) in keys and ("1001", (5002,)) in keys
    later = max((i for i in found.submissions if i.key == "1001"), key=lambda i: i.order)
    assert later.files["ex01_process.py"] == SOLUTION  # "-1" dropped from the re-uploaded name
    late = next(i for i in found.submissions if i.key == "1002")
    assert late.late is True and late.name == "hoppergrace"
    assert next(i for i in found.submissions if i.key == "1003").exercises == ("ex01_process",)


def test_moodle_download(tmp_path: Path) -> None:
    folder = tmp_path / "moodle" / "Ada Lovelace_77_assignsubmission_file_"
    folder.mkdir(parents=True)
    (folder / "ex01_process.py").write_bytes(SOLUTION)
    found = read(tmp_path / "moodle", tmp_path)
    assert found.shape == "moodle"
    (item,) = found.submissions
    assert (item.key, item.name) == ("77", "Ada Lovelace")


def test_gradescope_export(tmp_path: Path) -> None:
    root = tmp_path / "export"
    (root / "submission_1001").mkdir(parents=True)
    (root / "submission_1001" / "ex01_process.py").write_bytes(SOLUTION)
    (root / "submission_metadata.yml").write_text(
        "submission_1001:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '42'\n"
        "    :email: ada@example.com\n  :created_at: 2026-11-20 10:00:00.000000000 -08:00\n"
        "submission_1002:\n  :submitters:\n  - :name: Grace Hopper\n    :email: grace@example.com\n"
    )
    found = read(root, tmp_path)
    assert found.shape == "gradescope"
    students = by_key(found)
    assert students["42"].name == "Ada Lovelace" and students["42"].collected_at > 0
    assert "not in the export" in (students["grace@example.com"].problem or "")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        ("two_sets", "two sets of exercise files"),
        ("empty", "no exercise files"),
        ("zip_without_exercises", "no exercise files"),
        ("escaping_zip", "escapes the folder"),
        ("bomb", "zip bomb"),
        ("not_utf8_name", "not UTF-8"),
        ("broken_zip", "cannot be unpacked"),
    ],
)
def test_bad_input_is_a_clear_problem_and_the_rest_goes_on(tmp_path: Path, make: str, problem: str) -> None:
    folder = tmp_path / "class"
    (folder / "good").mkdir(parents=True)
    (folder / "good" / "ex01_process.py").write_bytes(SOLUTION)
    if make == "two_sets":
        for sub in ("exercises", "solutions"):
            (folder / "bad" / sub).mkdir(parents=True)
            (folder / "bad" / sub / "ex01_process.py").write_bytes(SOLUTION)
    elif make == "empty":
        (folder / "bad").mkdir()
    elif make == "zip_without_exercises":
        zip_of(folder / "bad.zip", {"readme.txt": b"hello"})
    elif make == "escaping_zip":
        zip_of(folder / "bad.zip", {"../../evil.py": b"x", "ex01_process.py": SOLUTION})
    elif make == "bomb":
        zip_of(folder / "bad.zip", {"ex01_process.py": SOLUTION, "zeros.bin": b"\0" * (40 << 20)})
    elif make == "not_utf8_name":
        (folder / "bad").mkdir()
        (folder / "bad" / "ex01_process.py").write_bytes(SOLUTION)
        with open(os.path.join(os.fsencode(folder / "bad"), b"caf\xe9.py"), "wb") as handle:
            handle.write(b"x = 1\n")
    elif make == "broken_zip":
        (folder / "bad.zip").write_bytes(b"PK\x03\x04 not really a zip")
    found = read(folder, tmp_path)
    students = by_key(found)
    assert students["good"].problem is None and students["good"].exercises == ("ex01_process",)
    assert problem in (students["bad"].problem or ""), students["bad"].problem
    assert not (tmp_path / "evil.py").exists() and not (tmp_path.parent / "evil.py").exists()


def test_submissions_that_cannot_be_read_at_all_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(intake.IntakeError, match="does not exist"):
        read(tmp_path / "nowhere", tmp_path)
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(intake.IntakeError, match="neither a folder nor a .zip"):
        read(tmp_path / "notes.txt", tmp_path)
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "ex01_process.py").write_bytes(SOLUTION)
    with pytest.raises(intake.IntakeError, match="mpgrade grade"):
        read(tmp_path / "one", tmp_path)
