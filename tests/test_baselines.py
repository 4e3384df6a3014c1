"""The grader's baselines (its serial run and its parallel reference) run none of the
submission's code: a module's import cannot slow them, busy them or bend them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from grader import catalogue
from grader.checks import speedup, support
from grader.checks.support import Submission
from grader.sandbox.launcher import run
from grader.sandbox.results import Call, RunRequest

LOUD_IMPORT = "print('imported', flush=True)\nraise SystemExit(3)\n"


def test_a_baseline_run_imports_nothing_of_the_submission(tmp_path: Path) -> None:
    (tmp_path / "ex03_executor_map.py").write_text(LOUD_IMPORT)
    request = RunRequest(
        "ex03_executor_map",
        tmp_path,
        (Call("reference_serial", ([2000],), target="driver"),),
        load_submission=False,
    )
    baseline = run(request)
    assert baseline.outcome == "returned", (baseline.outcome, baseline.stderr.text[-800:])
    assert baseline.value == [303]
    assert "imported" not in baseline.stdout.text
    loaded = run(replace(request, load_submission=True))
    assert loaded.outcome != "returned" and "imported" in loaded.stdout.text


def test_a_speedup_measurement_loads_the_submission_only_in_its_own_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run of a measurement is recorded: the submission's parallel calls show its
    import's output, the grader's serial baselines and parallel references never do."""
    source = (Path("solutions") / "ex03_executor_map.py").read_text()
    (tmp_path / "ex03_executor_map.py").write_text("print('imported', flush=True)\n" + source)
    made = []

    def recorded(request: RunRequest):  # type: ignore[no-untyped-def]
        result = run(request)
        made.append((request.calls[0].name, result))
        return result

    monkeypatch.setattr(support, "run", recorded)
    submission = Submission(catalogue.BY_ID["ex03_executor_map"], tmp_path, "fork")
    measured = speedup._measure(submission, "count_primes_parallel", [20_000, 22_000], 2, "count_primes_below")
    speedup._reference(submission, [20_000, 22_000], 2, 1, measured)
    names = {name for name, _ in made}
    assert names == {"count_primes_parallel", "reference_serial", "reference_parallel"}, names
    for name, result in made:
        assert result.outcome == "returned", (name, result.outcome, result.stderr.text[-800:])
        assert ("imported" in result.stdout.text) == (name == "count_primes_parallel"), name
