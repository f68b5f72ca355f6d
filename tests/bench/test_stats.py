"""Medians with their range, and telling a change from noise."""

from __future__ import annotations

import pytest

from finboard.bench.stats import Spread, compare, spread


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
