"""The failure matrix: hostile and broken submissions, each with the verdict it must get.

Every case runs through the real CLI twice: with every layer this machine offers, and
without the root-only ones (cgroup, unprivileged user), as on a student's laptop. Each
case is bounded on its own (at most 400 processes, 1 GiB, 50 MB of output), so a
missing layer can make a case fail but never take the machine down. The other exercise
of the submission (a correct ex08) must be graded as if nothing happened, and the
no_leaks fixture proves nothing was left behind.
"""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, checks_by_id, run_cli

from grader.sandbox.isolation import probe

HEADER = "import os, signal, sys, time\n"
RUN = "def run_both(numbers, delay=0.5):\n"

# name: (source of ex01_process.py, where the verdict shows, fragments of the message)
CASES: dict[str, tuple[str, str, list[str]]] = {
    "fork-bomb": (
        RUN
        + textwrap.indent(
            textwrap.dedent("""
        children = 0
        for _ in range(400):
            try:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
            except OSError:
                break
        return [children, 0]
        """),
            "    ",
        ),
        "prints-both-tables",
        ["process limit of 64 was reached"],
    ),
    "memory-hog": (
        RUN + "    blocks = [bytearray(16 << 20) for _ in range(64)]\n    return [0, 0]\n",
        "prints-both-tables",
        ["memory"],
    ),
    "output-flood": (
        RUN + "    for _ in range(50):\n        sys.stdout.write('x' * (1 << 20))\n    return [0, 0]\n",
        "prints-both-tables",
        ["stdout was cut after 256 KiB"],
    ),
    "busy-import": ("while True:\n    pass\n" + RUN + "    return [0, 0]\n", "exercise", ["did not finish within 3 s"]),
    "never-returns": (
        RUN + "    time.sleep(1000)\n",
        "prints-both-tables",
        ["did not return", "main: `time.sleep(1000)` at ex01_process.py:3"],
    ),
    "exit-at-import": ("os._exit(3)\n" + RUN + "    return [0, 0]\n", "exercise", ["EXIT(3)"]),
    "sys-exit-at-import": ("sys.exit(2)\n" + RUN + "    return [0, 0]\n", "exercise", ["raised SystemExit: 2"]),
    "exit-mid-call": (RUN + "    os._exit(5)\n", "prints-both-tables", ["died before returning (EXIT(5))"]),
    "sys-exit-mid-call": (RUN + "    sys.exit(4)\n", "prints-both-tables", ["raised SystemExit: 4"]),
    "kill-parent": (
        RUN + "    os.kill(os.getppid(), signal.SIGKILL)\n    time.sleep(1)\n    return [0, 0]\n",
        "prints-both-tables",
        [],
    ),
    "kill-group": (
        RUN + "    os.killpg(0, signal.SIGKILL)\n    time.sleep(1)\n    return [0, 0]\n",
        "prints-both-tables",
        [],
    ),
    "kill-everything": (
        RUN + "    os.kill(-1, signal.SIGKILL)\n    time.sleep(1)\n    return [0, 0]\n",
        "prints-both-tables",
        [],
    ),
    "fifo-evidence": (
        RUN
        + textwrap.indent(
            textwrap.dedent("""
        import json
        config = json.loads(os.environ["MPGRADE_SANDBOX"])
        for folder in (config["stacks_dir"], config.get("api", {}).get("dir")):
            if folder:
                for name in (f"{os.getpid()}.txt", f"{os.getpid()}.jsonl"):
                    path = os.path.join(folder, name)
                    if os.path.exists(path):
                        os.remove(path)
                    os.mkfifo(path)
        time.sleep(1000)
        """),
            "    ",
        ),
        "prints-both-tables",
        ["did not return"],
    ),
    "huge-return": (RUN + "    return ['x' * (80 << 20)]\n", "prints-both-tables", ["value of 80 MiB"]),
    "file-flood": (
        RUN + "    with open('big', 'wb') as out:\n        for _ in range(100):\n"
        "            out.write(b'x' * (1 << 20))\n    return [0, 0]\n",
        "prints-both-tables",
        ["File too large", "file size limit"],
    ),
    "network": (
        RUN + "    with open('/proc/net/dev') as dev:\n"
        "        return [line.split(':')[0].strip() for line in dev.readlines()[2:]]\n",
        "real-exit-codes",
        ["it returned ['lo']"],
    ),
}


@pytest.fixture(params=["all-layers", "no-root-layers"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def grade(tmp_path: Path, source: str, mode: str, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any], float]:
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "ex01_process.py").write_text(HEADER + source)
    shutil.copy(ROOT / "solutions" / "ex08_array.py", submission / "ex08_array.py")
    flags = ["--no-root-layers"] if mode == "no-root-layers" else []
    begun = time.monotonic()
    code, out, report, err = run_cli(
        "grade",
        str(submission),
        "-e",
        "ex01",
        "-e",
        "ex08",
        "--timeout",
        "3",
        "--max-processes",
        "64",
        "--max-memory-mb",
        "512",
        "--json",
        str(tmp_path / "r.json"),
        *flags,
        *extra,
        timeout=300,
    )
    assert report is not None, out + err
    return code, report, time.monotonic() - begun


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_submission(case: str, mode: str, tmp_path: Path) -> None:
    source, where, fragments = CASES[case]
    layers = probe(mode == "all-layers")
    if case == "fork-bomb" and not (layers.cgroup or layers.userns):
        fragments = []  # no process cap without root or a user namespace: bounded by the case itself
    if case == "network" and not layers.netns:
        pytest.skip("no network namespace on this machine")
    code, report, seconds = grade(tmp_path, source, mode)
    assert code == 1, report
    ex01, ex08 = report["exercises"]
    assert ex08["status"] == "passed" and ex08["score"] == ex08["max_score"], [
        (c["id"], c["status"], c["message"], c["data"]) for c in ex08["checks"] if c["status"] != "passed"
    ]
    if where == "exercise":
        assert ex01["status"] == "error"
        message = ex01["error"]
    else:
        check = checks_by_id(report, "ex01_process")[where]
        assert check["status"] in ("failed", "error"), check
        message = check["message"]
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert seconds < 120


@pytest.mark.slow
def test_unprivileged_user_cannot_touch_the_graders_files(tmp_path: Path) -> None:
    if probe(True).uid is None:
        pytest.skip(f"no unprivileged user layer here: {probe(True).off.get('uid')}")
    precious = tmp_path / "precious.txt"
    precious.write_text("grades\n")
    precious.chmod(0o644)
    tmp_path.chmod(0o755)
    source = RUN + f"    with open({str(precious)!r}, 'a') as out:\n        out.write('hacked')\n    return [0, 0]\n"
    code, report, _ = grade(tmp_path, source, "all-layers")
    assert precious.read_text() == "grades\n"
    message = checks_by_id(report, "ex01_process")["prints-both-tables"]["message"]
    # not even visible in a private filesystem view; else not writable by the sandbox's user
    assert "FileNotFoundError" in message if probe(True).private_fs else "PermissionError" in message, message
