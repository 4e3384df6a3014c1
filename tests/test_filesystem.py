"""Each run in its own filesystem: what a submission can find, change and leave behind.

Run through the real CLI, with every layer this machine offers and without the
root-only ones. The reference solutions sit in this checkout, other gradings run beside
each other, and a disk filler runs against a small cap: in every case the run must see
nothing of the machine beyond its own files, change nothing of another run, stay within
its disk cap and leave nothing behind.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, checks_by_id, run_cli

from grader.sandbox.isolation import probe

HEADER = "import glob, os, sys, time\n"

BORROW = HEADER + textwrap.dedent(f"""
    def _candidates():
        roots = [{str(ROOT)!r}, os.getcwd(), os.path.expanduser("~"), "/work", "/root", "/home", "/tmp", "/srv", "/"]
        here = os.path.dirname(os.path.abspath(__file__))
        while here != "/":
            roots.append(here)
            here = os.path.dirname(here)
        for root in roots:
            for depth in ("", "*/", "*/*/", "*/*/*/"):
                yield from glob.glob(os.path.join(root, depth + "solutions", "ex01_process.py"))


    def run_both(numbers, delay=0.5):
        raise NotImplementedError("nothing to borrow")


    # At import, so that child processes (which import this module again) borrow too.
    for _path in _candidates():
        try:
            _source = open(_path).read()
        except OSError:
            continue
        exec(compile(_source, _path, "exec"))  # the borrowed functions become this module's
        break
""")

ATTACK = HEADER + textwrap.dedent("""
    FORGED = "\\n\\ndef run_both(numbers, delay=0.5):\\n    return [7, 7]\\n"


    def run_both(numbers, delay=0.5):
        hits = 0
        for pattern in ("/tmp/**/ex01_process.py", "/run/**/ex01_process.py", "/var/tmp/**/ex01_process.py"):
            for path in glob.glob(pattern, recursive=True):
                if os.path.realpath(path) == os.path.realpath(__file__):
                    continue
                try:
                    with open(path, "a") as victim:
                        victim.write(FORGED)
                    hits += 1
                except OSError:
                    pass
        for pattern in ("/tmp/**/rendezvous", "/tmp/**/stacks", "/tmp/**/api"):
            for folder in glob.glob(pattern, recursive=True):
                try:
                    open(os.path.join(folder, "pid-1"), "w").close()
                    hits += 1
                except OSError:
                    pass
        time.sleep(2)
        return [hits, hits]
""")

FILLER = HEADER + textwrap.dedent("""
    def run_both(numbers, delay=0.5):
        written = 0
        try:
            for n in range(200):
                folder = ("/tmp", "/var/tmp", ".")[n % 3]
                with open(os.path.join(folder, f"fill-{n}"), "wb") as out:
                    for _ in range(60):
                        out.write(b"x" * (1 << 20))
                        written += 1
        except OSError as error:
            return [written, error.errno]
        return [written, 0]
""")


@pytest.fixture(params=["all-layers", "no-root-layers"])
def mode(request: pytest.FixtureRequest) -> str:
    layers = probe(request.param == "all-layers")
    if not layers.private_fs:
        pytest.skip(f"no private filesystem view here: {layers.off.get('private_fs')}")
    return str(request.param)


def grade(folder: Path, mode: str, *extra: str) -> dict[str, Any]:
    flags = ["--no-root-layers"] if mode == "no-root-layers" else []
    code, out, report, err = run_cli(
        "grade", str(folder), "-e", "ex01", "--json", str(folder.parent / f"{folder.name}.json"), *flags, *extra
    )
    assert report is not None, out + err
    return report


def submission(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "ex01_process.py").write_text(source)
    return folder


@pytest.mark.slow
def test_the_reference_solutions_cannot_be_found(mode: str, tmp_path: Path) -> None:
    report = grade(submission(tmp_path, "borrower", BORROW), mode)
    ex01 = report["exercises"][0]
    assert ex01["score"] == 0, [(c["id"], c["status"], c["message"]) for c in ex01["checks"]]
    assert "nothing to borrow" in checks_by_id(report, "ex01_process")["prints-both-tables"]["message"]


def _digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())).hexdigest()


@pytest.mark.slow
def test_a_run_cannot_reach_another_run(mode: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    shutil.copy(ROOT / "solutions" / "ex01_process.py", victim / "ex01_process.py")
    attacker = submission(tmp_path, "attacker", ATTACK)
    before = _digest(victim)
    flags = ["--no-root-layers"] if mode == "no-root-layers" else []
    for round_no in range(5):
        runs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "grader",
                    "grade",
                    str(folder),
                    "-e",
                    "ex01",
                    "--json",
                    str(tmp_path / f"{folder.name}-{round_no}.json"),
                    *flags,
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for folder in (attacker, victim)
        ]
        for run in runs:
            run.wait(timeout=300)
        import json

        victim_report = json.loads((tmp_path / f"victim-{round_no}.json").read_text())
        attacker_report = json.loads((tmp_path / f"attacker-{round_no}.json").read_text())
        assert victim_report["score"] == victim_report["max_score"] == 10, victim_report
        codes = checks_by_id(attacker_report, "ex01_process")["real-exit-codes"]["message"]
        assert "[0, 0]" in codes, codes  # the attacker found nothing to change
    assert _digest(victim) == before


def _used_disk() -> int:
    return shutil.disk_usage("/").used


@pytest.mark.slow
def test_a_disk_filler_stops_at_the_cap_and_leaves_nothing(mode: str, tmp_path: Path) -> None:
    folder = submission(tmp_path, "filler", FILLER)
    places = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")]
    names_before = {place: set(p.name for p in place.iterdir()) for place in places}
    baseline, peak, done = _used_disk(), [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _used_disk() - baseline)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        report = grade(folder, mode, "--max-disk-mb", "128")
    finally:
        done.set()
        watcher.join()
    message = checks_by_id(report, "ex01_process")["prints-both-tables"]["message"]
    assert "the run wrote 128 MiB, the disk limit" in message, message
    assert peak[0] <= (128 + 32) << 20, f"the machine's disk grew by {peak[0] >> 20} MiB"
    assert _used_disk() - baseline <= 32 << 20
    for place in places:
        left = {p.name for p in place.iterdir()} - names_before[place]
        assert not {name for name in left if name.startswith("fill-")}, (place, left)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stray", "full_marks"),
    [("_mpgrade_wire.py", True), ("json.py", True), ("sitecustomize.py", True), ("random.py", False)],
)
def test_stray_files_beside_the_exercises(stray: str, full_marks: bool, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / "ex01_process.py", folder / "ex01_process.py")
    (folder / stray).write_text("raise SystemExit('a stray file was imported')\n")
    report = grade(folder, "all-layers")
    ex01 = report["exercises"][0]
    if full_marks:
        assert ex01["score"] == ex01["max_score"] == 10, ex01
    else:
        assert ex01["status"] == "error"
        assert "rename random.py: it hides Python's random module, which multiprocessing needs" in ex01["error"]


VIEW_MODULE = """
import os, tempfile

def look():
    tmp = sorted(os.listdir("/tmp"))
    mine = os.path.abspath(__file__)
    try:
        with open(mine, "a") as handle:
            handle.write("# changed")
        writable = True
    except OSError as error:
        writable = error.strerror
    with open("/tmp/mine", "w") as handle:
        handle.write("x")
    try:
        open("/run/mpgrade/seen/999999", "w").close()
        marks = True
    except OSError as error:
        marks = error.strerror
    return {
        "marks_writable": marks,
        "root": sorted(os.listdir("/")),
        "tmp": tmp,
        "cwd": os.getcwd(),
        "own_file_writable": writable,
        "course_visible": os.path.exists(COURSE),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    }
""".replace("COURSE", repr(str(ROOT)))


@pytest.mark.parametrize("root_layers", [True, False])
def test_the_view_holds_only_what_a_run_needs(root_layers: bool, tmp_path: Path) -> None:
    from grader.sandbox.isolation import Isolation, Limits
    from grader.sandbox.launcher import run
    from grader.sandbox.results import Call, RunRequest

    layers = probe(root_layers)
    if not layers.private_fs:
        pytest.skip(f"no private filesystem view here: {layers.off.get('private_fs')}")
    (tmp_path / "ex99_view.py").write_text(VIEW_MODULE)
    isolation = Isolation(Limits(), layers)
    seen = [run(RunRequest("ex99_view", tmp_path, (Call("look"),), isolation=isolation)) for _ in range(2)]
    for result in seen:
        assert result.outcome == "returned", (result.outcome, result.error, result.stderr.text[-400:])
        view = result.value
        assert set(view["root"]) <= {
            "usr",
            "bin",
            "sbin",
            "lib",
            "lib64",
            "lib32",
            "libx32",
            "etc",
            "dev",
            "proc",
            "tmp",
            "var",
            "run",
            "root",
            "opt",
        }, view["root"]
        assert view["tmp"] == [], "each run starts with an empty /tmp of its own"
        assert view["cwd"] == "/run/mpgrade/work"
        assert view["own_file_writable"] in ("Read-only file system", "Permission denied")
        assert view["marks_writable"] in ("Read-only file system", "Permission denied")  # the grader's marks
        assert not view["course_visible"]
        assert view["processes"][0] == 1 and len(view["processes"]) <= 3, view["processes"]
    assert (tmp_path / "ex99_view.py").read_text() == VIEW_MODULE
