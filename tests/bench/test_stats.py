"""Medians with their range or their bootstrap CI, paired ratios, the A/A flag, telling a change from noise."""

from __future__ import annotations

import math
import random

import pytest

from finboard.bench.stats import (
    Estimate,
    Spread,
    aa_noisy,
    bootstrap_median,
    compare,
    paired_difference,
    paired_ratio,
    paired_ratios,
    ratio_of_medians,
    spread,
    winner_text,
)


def test_spread_is_median_with_min_and_max_ignoring_missing_values():
    s = spread([120.0, None, 100.0, 130.0, 90.0])
    assert (s.median, s.low, s.high, s.n) == (110.0, 90.0, 130.0, 4)
    assert s.relative_range == pytest.approx(40 / 110)
    assert s.format() == "110 [90–130]"
    assert spread([None, None]) is None


def test_one_value_has_no_range():
    s = spread([42.4])
    assert s.format(1, " ms") == "42.4 ms"
    assert s.relative_range == 0


def test_a_real_difference_is_flagged():
    before = Spread(1000, 980, 1020, 3)
    after = Spread(700, 690, 715, 3)
    change = compare(before, after)
    assert change.significant
    assert change.relative == pytest.approx(-0.3)
    assert "outside the spread" in change.reason


def test_noise_is_not_flagged():
    before = Spread(1000, 900, 1100, 3)
    # 8 % higher, beyond the 5 % threshold, but inside the measured spread
    assert not compare(before, Spread(1080, 1000, 1150, 3)).significant
    # inside the threshold
    assert not compare(before, Spread(1030, 1020, 1040, 3)).significant


def test_single_repeats_need_twice_the_threshold_and_say_so():
    change = compare(Spread(100, 100, 100, 1), Spread(150, 150, 150, 1))
    assert change.significant and "one repeat" in change.reason
    assert not compare(Spread(100, 100, 100, 1), Spread(103, 103, 103, 1)).significant
    assert not compare(Spread(100, 100, 100, 1), Spread(108, 108, 108, 1)).significant


def test_zero_to_zero_is_no_change():
    assert not compare(Spread(0, 0, 0, 1), Spread(0, 0, 0, 1)).significant
    assert compare(Spread(0, 0, 0, 1), Spread(5, 5, 5, 1)).significant


# --- confidence intervals (schema version 3) ----------------------------------------------------


def test_the_bootstrap_ci_covers_the_true_median_about_95_percent_of_the_time():
    """Synthetic, skewed data with a known median: the 95 % CI should miss it rarely."""
    rng = random.Random(7)
    true_median = math.exp(0.0)  # lognormal(0, 0.5): median e^0 = 1
    trials, covered = 200, 0
    for trial in range(trials):
        sample = [rng.lognormvariate(0.0, 0.5) for _ in range(30)]
        estimate = bootstrap_median(sample, resamples=1000, seed=trial)
        covered += estimate.contains(true_median)
    assert 0.88 <= covered / trials <= 0.995


def test_the_bootstrap_is_seeded_and_reproducible():
    values = [101.0, 97.5, 99.0, 104.2, 98.8, 100.1]
    assert bootstrap_median(values) == bootstrap_median(list(values))
    e = bootstrap_median(values)
    assert e.low <= e.value <= e.high and e.n == 6
    assert min(values) <= e.low and e.high <= max(values)


def test_the_stdlib_path_gives_an_interval_without_numpy(monkeypatch):
    from finboard.bench import stats

    values = [101.0, 97.5, 99.0, 104.2, 98.8, 100.1, 95.0]
    with_numpy = bootstrap_median(values)
    monkeypatch.setattr(stats, "_numpy", lambda: None)
    without = bootstrap_median(values)
    assert without.value == with_numpy.value
    assert without.low <= without.value <= without.high
    assert without.low == pytest.approx(with_numpy.low, rel=0.03)
    assert without.high == pytest.approx(with_numpy.high, rel=0.03)
    assert ratio_of_medians([90, 91, 89], [100, 101, 99]).high < 1


def test_one_sample_is_a_point_and_none_is_nothing():
    assert bootstrap_median([5.0]) == Estimate(5.0, 5.0, 5.0, 1)
    assert bootstrap_median([None]) is None
    assert Estimate(5.0, 5.0, 5.0, 1).format() == "5 (n=1)"


def test_paired_ratios_divide_round_by_round():
    a = {0: 110.0, 1: 55.0, 2: 220.0}  # the machine's speed swings 4× between rounds…
    b = {0: 100.0, 1: 50.0, 2: 200.0, 3: 80.0}  # …and round 3 has no partner
    assert paired_ratios(a, b) == pytest.approx([1.1, 1.1, 1.1])
    ratio = paired_ratio(a, b)
    assert ratio.value == pytest.approx(1.1) and ratio.ci == pytest.approx([1.1, 1.1])
    # unpaired, the same numbers can't tell the two apart
    assert ratio_of_medians(a.values(), [b[k] for k in range(3)]).contains(1.0)
    assert paired_difference({0: 30.0, 1: 32.0}, {0: 10.0, 1: 11.0}).value == pytest.approx(20.5)


def test_winner_only_when_the_ratio_ci_excludes_one():
    assert winner_text(Estimate(1.02, 0.97, 1.08, 5), "flask", "django").startswith("no clear winner")
    assert winner_text(Estimate(1.3, 1.2, 1.4, 5), "flask", "django").startswith("flask faster")
    assert winner_text(Estimate(0.7, 0.6, 0.8, 5), "flask", "django").startswith("django faster")
    assert "one round" in winner_text(Estimate(1.3, 1.3, 1.3, 1), "flask", "django")


def test_aa_control_flags_a_noisy_run():
    assert not aa_noisy(Estimate(1.0, 0.97, 1.03, 20))
    assert aa_noisy(Estimate(1.0, 0.93, 1.03, 20))  # leaves [0.95, 1.05] below
    assert aa_noisy(Estimate(1.02, 0.99, 1.06, 20))  # and above
    assert aa_noisy(Estimate(1.0, 1.0, 1.0, 1))  # one sample: no interval, can't vouch for the run
    assert aa_noisy(None)
