"""Running the check files with pytest and pytest-json-report in a child process.

pytest runs in its own interpreter so that nothing a check does (or a bug in one) can
take the grader down; plugin autoloading is off, so that only our plugin and the JSON
report take part, whatever else is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader import tempdirs
from grader.catalogue import CHECKS_DIR, Exercise
from grader.config import Settings
from grader.errors import CheckRunError
from grader.jsonreport import RawCheck, read_report

SUITE_TIMEOUT_S = 1800


def pytest_command(directory: Path, exercises: tuple[Exercise, ...], settings: Settings, report: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(CHECKS_DIR / "pytest.ini"),
        "--rootdir",
        str(CHECKS_DIR),
        "-p",
        "pytest_jsonreport.plugin",
        "-q",
        "--no-header",
        "-o",
        "console_output_style=classic",
        "--json-report",
        f"--json-report-file={report}",
        "--json-report-omit",
        "streams",
        "log",
        "keywords",
        "--mpgrade-submission",
        str(directory.resolve()),
        "--mpgrade-start-methods",
        ",".join(settings.start_methods),
        "--mpgrade-timeout",
        str(settings.timeout),
        "--mpgrade-isolation",
        settings.isolation.to_json(),
        "--mpgrade-jobs",
        str(settings.jobs),
        *[str(exercise.check_file) for exercise in exercises],
    ]


def run_checks(directory: Path, exercises: tuple[Exercise, ...], settings: Settings) -> list[RawCheck]:
    """Run the checks of ``exercises``; raises CheckRunError if the suite itself broke."""
    with tempfile.TemporaryDirectory(prefix=tempdirs.prefix("suite")) as scratch:
        report = Path(scratch) / "report.json"
        command = pytest_command(directory, exercises, settings, report)
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        env["MPGRADE_GRADER_PID"] = str(os.getpid())
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, cwd=scratch, timeout=SUITE_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise CheckRunError(f"the check suite did not finish within {SUITE_TIMEOUT_S} s") from error
        if done.returncode not in (0, 1) or not report.exists():
            tail = (done.stdout + done.stderr).strip()[-1500:]
            raise CheckRunError(f"the check suite failed (pytest exit {done.returncode}):\n{tail}")
        return read_report(json.loads(report.read_text()))
