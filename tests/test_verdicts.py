"""Verdict logic on synthetic figures: no clock, no processes, no machine speed."""

from types import SimpleNamespace

import pytest

from grader.checks import speedup
from grader.verdicts import (
    Decision,
    SpeedupVerdict,
    fail_threshold,
    judge_cpu_spread,
    judge_overlap,
    judge_speedup,
    overlap_samples,
    parallelism,
    pass_threshold,
    settled_on_first_round,
    useful_parallelism,
    work_inflation,
)


def test_thresholds_scale_with_workers() -> None:
    assert pass_threshold(2) == 1.3
    assert pass_threshold(4) > pass_threshold(2) > fail_threshold(2) > 1.0


def test_parallelism_discounts_startup() -> None:
    assert parallelism([0.6, 0.6], 0.7) == 1.2 / 0.7
    assert parallelism([0.2, 0.2], 1.0, startup_cpu_s=0.2) == 0.0
    assert parallelism([1.0], 0.0) == 0.0


def test_clear_parallel_run_passes_without_reference() -> None:
    verdict = judge_speedup([1.7, 1.6], [1.2, 1.1], [0.7, 0.8], 2)
    assert verdict.decision is Decision.PASS


def test_one_core_is_skipped_not_failed() -> None:
    assert judge_speedup([0.9], [1.0], [1.0], 1).decision is Decision.SKIP


def test_no_child_work_fails_on_any_machine() -> None:
    # the caller did the work: children used 5% of its CPU; no reference, one core or two
    for cores in (1, 2):
        verdict = judge_speedup([0.05], [1.0], [1.0], cores, inflation=0.05)
        assert verdict.decision is Decision.FAIL
        assert "no child process did measurable CPU work" in verdict.reason
    # a busy machine's reference cannot turn it into a skip either
    assert judge_speedup([0.05], [1.0], [1.0], 2, reference=[0.9], inflation=0.1).decision is Decision.FAIL


def test_one_process_doing_the_useful_work_fails() -> None:
    # both cores busy, but one process counted everything: at most 1.0x, whatever else burnt CPU
    assert useful_parallelism([4.0]) == 1.0 and useful_parallelism([3.0, 1.0]) == 4 / 3
    assert useful_parallelism([2.0, 2.0]) == 2.0 and useful_parallelism([]) == 1.0
    verdict = judge_speedup([1.6, 1.5], [1.0], [0.7], 2, useful=useful_parallelism([4.0]))
    assert verdict.decision is Decision.FAIL and "one process did the useful work" in verdict.reason
    # an uneven but real split (3 limits and 1) is judged on its parallelism as before
    assert judge_speedup([1.6, 1.5], [1.2], [0.7], 2, useful=4 / 3).decision is Decision.PASS


def test_partial_repetition_fails_when_calls_and_cpu_agree() -> None:
    # one limit of four counted twice: the recorded calls say 1.3x, the CPU says 1.28x
    verdict = judge_speedup([1.7], [1.0], [0.7], 2, inflation=1.28, repeated=1.3)
    assert verdict.decision is Decision.FAIL and "done twice" in verdict.reason
    # the calls alone (the CPU disagrees) or the CPU alone decide nothing
    assert judge_speedup([1.7], [1.0], [0.7], 2, inflation=1.0, repeated=1.3).decision is Decision.PASS
    assert judge_speedup([1.7], [1.0], [0.7], 2, inflation=1.3, repeated=1.0).decision is Decision.PASS
    # half the work again in the records fails whatever the CPU says (forged records only hurt)
    assert judge_speedup([1.7], [1.0], [0.7], 2, inflation=1.0, repeated=1.53).decision is Decision.FAIL


def test_low_parallelism_asks_for_the_reference() -> None:
    assert judge_speedup([0.98], [1.0], [1.0], 2).decision is Decision.NEED_REFERENCE


def test_serial_work_fails_when_the_machine_can_show_parallelism() -> None:
    verdict = judge_speedup([0.0, 0.02], [1.0, 1.1], [1.05, 1.0], 2, reference=[1.7, 1.6])
    assert verdict.decision is Decision.FAIL
    assert "1.70" in verdict.reason


def test_busy_machine_skips_instead_of_failing() -> None:
    verdict = judge_speedup([0.9], [1.0], [1.0], 2, reference=[1.1, 1.05])
    assert verdict.decision is Decision.SKIP
    assert "busy" in verdict.reason


def test_relative_to_a_weak_reference_passes() -> None:
    assert judge_speedup([1.25], [1.0], [0.8], 2, reference=[1.45]).decision is Decision.PASS


def test_cpu_busy_but_not_faster_is_never_a_pass() -> None:
    # every worker computing everything: cores busy, no time saved
    verdict = judge_speedup([1.9], [1.0], [1.5], 2, reference=[1.8], final=True)
    assert verdict.decision is Decision.SKIP


def test_repeated_work_is_measured_by_cpu_not_by_the_clock() -> None:
    # two workers that each do all of 1 s of work: 2 s of child CPU
    assert work_inflation([2.02, 1.97], [1.0, 1.04]) > 1.85
    # one run on a slow moment of the host (0.85 s where its neighbours took 0.6 s) is outvoted
    assert work_inflation([1.36, 1.3, 1.41], [0.64, 0.6, 0.85]) > 2.0
    assert work_inflation([0.62, 0.6, 0.61], [0.6, 0.85, 0.6]) < 1.1
    assert work_inflation([1.0], [0.0]) == 1.0  # serial CPU unknown: no evidence


def test_repeated_work_fails_when_the_machine_can_show_parallelism() -> None:
    # cores busy and about as fast as serial: without the CPU evidence this passed
    args = ([1.95, 1.9], [1.0, 1.02], [1.1, 1.05], 2)
    assert judge_speedup(*args).decision is Decision.PASS
    assert judge_speedup(*args, inflation=1.9).decision is Decision.NEED_REFERENCE
    verdict = judge_speedup(*args, reference=[1.8], inflation=1.9)
    assert verdict.decision is Decision.FAIL
    assert "1.9x the CPU" in verdict.reason and "repeated the work" in verdict.reason
    assert judge_speedup(*args, reference=[1.1], inflation=1.9).decision is Decision.SKIP
    # the reference, measured the same way, about right: the fail stands
    assert judge_speedup(*args, reference=[1.8], inflation=1.9, reference_inflation=1.1).decision is Decision.FAIL


def test_cpu_inflation_read_in_the_reference_too_skips_rather_than_fails() -> None:
    # a host that bills waits as CPU (or a misread of the processes) inflates both figures
    args = ([1.6, 1.55], [0.45, 0.47], [0.6, 0.62], 2)
    verdict = judge_speedup(*args, reference=[1.6], inflation=2.3, reference_inflation=1.9)
    assert verdict.decision is Decision.SKIP
    assert "not reliable" in verdict.reason and "2.3x" in verdict.reason and "1.9x" in verdict.reason


def test_cpu_time_spread_of_shared_work_does_not_fail_it() -> None:
    assert judge_speedup([1.7], [1.0], [0.6], 2, inflation=1.3).decision is Decision.PASS
    # between the bars: no pass, but no fail either
    args = ([1.6], [1.0], [0.9], 2)
    assert judge_speedup(*args, reference=[1.7], inflation=1.6).decision is Decision.NEED_MORE
    final = judge_speedup(*args, reference=[1.7], inflation=1.6, final=True)
    assert final.decision is Decision.SKIP and "1.6x the CPU" in final.reason


def test_noisy_serial_timing_does_not_veto_clear_parallelism() -> None:
    assert judge_speedup([1.6], [0.79, 1.36], [0.83, 0.94], 2).decision is Decision.PASS


def test_gray_zone_needs_more_then_skips() -> None:
    first = judge_speedup([1.15], [1.0], [0.95], 2, reference=[1.9])
    assert first.decision is Decision.NEED_MORE
    assert judge_speedup([1.15], [1.0], [0.95], 2, reference=[1.9], final=True).decision is Decision.SKIP


def test_cpu_spread_accepts_real_workers() -> None:
    spread = judge_cpu_spread(0.02, [0.6, 0.55], expected_workers=2)
    assert spread.ok and spread.busy_workers == 2


def test_cpu_spread_rejects_work_in_the_caller() -> None:
    spread = judge_cpu_spread(1.1, [0.01, 0.0], expected_workers=2)
    assert not spread.ok and "caller" in spread.reason


def test_cpu_spread_discounts_idle_spawned_decoys() -> None:
    spread = judge_cpu_spread(1.0, [0.21, 0.2], expected_workers=2, startup_cpu_s=0.2)
    assert not spread.ok


def test_cpu_spread_wants_every_expected_worker_busy() -> None:
    spread = judge_cpu_spread(0.01, [1.1, 0.01], expected_workers=2)
    assert not spread.ok and "only 1" in spread.reason


def test_overlap_of_lifetimes() -> None:
    assert overlap_samples([(0.0, 1.0), (0.5, 2.0)]) == 0.5
    assert overlap_samples([(0.0, 1.0), (1.0, 2.0)]) == 0.0
    assert overlap_samples([(0.0, 1.0)]) == 0.0


def test_only_a_clear_pass_settles_on_one_round() -> None:
    passed = judge_speedup([1.7], [1.0], [0.6], 2)
    assert passed.decision is Decision.PASS
    assert settled_on_first_round(passed, inflation=1.05, useful=2.0)
    assert not settled_on_first_round(passed, inflation=1.05, useful=None)  # the calls were not recorded
    assert not settled_on_first_round(passed, inflation=1.3, useful=2.0)  # a pass, but CPU to spare: confirm it
    waiting = judge_speedup([0.98], [1.0], [1.0], 2)
    assert not settled_on_first_round(waiting, inflation=1.0, useful=2.0)


@pytest.mark.parametrize(
    ("first", "inflation", "rounds"),
    [(Decision.PASS, 1.05, 1), (Decision.PASS, 1.4, 2), (Decision.NEED_REFERENCE, 1.0, 2)],
)
def test_a_measurement_takes_a_second_round_unless_the_first_settles_it(
    monkeypatch: pytest.MonkeyPatch, first: Decision, inflation: float, rounds: int
) -> None:
    made: list[int] = []

    def fake_rounds(submission: object, name: str, workers: int, count: int, into: speedup.Measurement) -> bool:
        made.append(count)
        return True

    def fake_judge(result: speedup.Measurement, effective: int, final: bool = False) -> SpeedupVerdict:
        decision = first if len(made) == 1 else Decision.PASS
        return SpeedupVerdict(decision, 1.7, 1.5, None, effective, "synthetic")

    monkeypatch.setattr(speedup, "_rounds", fake_rounds)
    monkeypatch.setattr(speedup, "_judge", fake_judge)
    monkeypatch.setattr(speedup.Measurement, "inflation", lambda self: inflation)
    monkeypatch.setattr(speedup.Measurement, "useful", lambda self: 2.0)
    fake = SimpleNamespace(start_method="forkserver")
    result = speedup._measure(fake, "count_primes_parallel", [10, 20], 2, "count_primes_below")  # type: ignore[arg-type]
    assert sum(made) == rounds
    assert result.verdict is not None and result.verdict.decision is Decision.PASS


@pytest.mark.parametrize(
    ("seen", "possible", "decision"),
    [
        (0.12, 0.14, Decision.PASS),  # seen together long enough
        (0.02, 0.04, Decision.FAIL),  # even the longest lifetimes the samples allow barely overlap
        (0.04, 0.30, Decision.SKIP),  # samples too far apart to tell: a busy machine, not a verdict
    ],
)
def test_an_overlap_is_judged_only_when_the_samples_settle_it(seen: float, possible: float, decision: Decision) -> None:
    assert judge_overlap(seen, possible, needed=0.1) is decision
