"""Running the check files with pytest and pytest-json-report in a child process.

pytest runs in its own interpreter so that nothing a check does (or a bug in one) can
take the grader down; plugin autoloading is off, so that only our plugin and the JSON
report take part, whatever else is installed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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
        "--mpgrade-observer",
        settings.observer,
        *[str(exercise.check_file) for exercise in exercises],
    ]


class Suite:
    """A check suite started ahead: pytest starts, imports and collects the checks while the
    grader runs the preflight; :meth:`run` then names the exercises to check (those the
    preflight let through) and waits for the rows."""

    def __init__(self, directory: Path, exercises: tuple[Exercise, ...], settings: Settings) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix=tempdirs.prefix("suite")))
        self.report = self.scratch / "report.json"
        go_read, self.go = os.pipe()
        command = [*pytest_command(directory, exercises, settings, self.report), "--mpgrade-go-fd", str(go_read)]
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        env["MPGRADE_GRADER_PID"] = str(os.getpid())
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.output = open(self.scratch / "output.txt", "w+b")  # noqa: SIM115 - closed by run()/cancel()
        try:
            # A session of its own: the kernel schedules each session as a group (autogroup), and
            # every sandbox run is a session too, so the suite's weight against them is its own
            # (see grader.checks.plugin). A Ctrl-C of the grader ends it through cancel().
            self.process = subprocess.Popen(
                command,
                stdout=self.output,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.scratch,
                pass_fds=(go_read,),
                start_new_session=True,
            )
        finally:
            os.close(go_read)

    def run(self, ready: tuple[Exercise, ...]) -> list[RawCheck]:
        """Check ``ready`` (nothing else); raises CheckRunError if the suite itself broke."""
        try:
            with contextlib.suppress(BrokenPipeError):
                os.write(self.go, (json.dumps([e.id for e in ready]) + "\n").encode())
            os.close(self.go)
            self.go = -1
            try:
                code = self.process.wait(timeout=SUITE_TIMEOUT_S)
            except subprocess.TimeoutExpired as error:
                raise CheckRunError(f"the check suite did not finish within {SUITE_TIMEOUT_S} s") from error
            if not ready and code == NO_TESTS:
                return []
            if code not in (0, 1) or not self.report.exists():
                self.output.seek(0)
                tail = self.output.read().decode(errors="replace").strip()[-1500:]
                raise CheckRunError(f"the check suite failed (pytest exit {code}):\n{tail}")
            return read_report(json.loads(self.report.read_text()))
        finally:
            self.cancel()

    def cancel(self) -> None:
        if self.go >= 0:
            os.close(self.go)
            self.go = -1
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.output.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


NO_TESTS = 5  # pytest's exit status when every test was deselected


def run_checks(directory: Path, exercises: tuple[Exercise, ...], settings: Settings) -> list[RawCheck]:
    """Run the checks of ``exercises``; raises CheckRunError if the suite itself broke."""
    return Suite(directory, exercises, settings).run(exercises)
