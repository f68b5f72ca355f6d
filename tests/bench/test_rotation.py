"""The order of turns in each round: a balanced Latin square, the A/A copy placed like any backend."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest

from finboard.bench.options import RunOptions
from finboard.bench.rotation import cycle_length, round_order, row_of_round
from finboard.bench.runner import BenchRun
from finboard.registry import registered


@pytest.mark.parametrize("n", range(2, 12))
def test_a_full_cycle_is_a_williams_design(n):
    rows = [row_of_round(n, r) for r in range(cycle_length(n))]
    assert all(sorted(row) == list(range(n)) for row in rows)  # every unit once per round
    per_position = Counter((unit, position) for row in rows for position, unit in enumerate(row))
    assert len(per_position) == n * n and len(set(per_position.values())) == 1  # every place equally often
    follows = Counter((row[i], row[i + 1]) for row in rows for i in range(n - 1))
    assert len(follows) == n * (n - 1) and len(set(follows.values())) == 1  # every neighbour equally often


@pytest.mark.parametrize("n", range(2, 12))
def test_every_four_rounds_each_unit_sits_in_the_middle_on_average_and_each_pair_swaps(n):
    rows = [row_of_round(n, r) for r in range(4)]
    for unit in range(n):
        assert statistics.mean(row.index(unit) for row in rows) == pytest.approx((n - 1) / 2)
    for a in range(n):
        for b in range(a + 1, n):
            assert sum(row.index(a) < row.index(b) for row in rows) == 2


def test_the_default_run_spreads_every_backend_and_the_aa_copy_over_the_round():
    names = list(registered())
    bench_run = BenchRun(RunOptions(backends=names, scenarios=["list"]))
    assert bench_run.names()[-1] == "flask-orm~aa" and len(bench_run.units()) == 9
    orders = [bench_run.order(r) for r in range(5)]  # the default five rounds
    assert all(sorted(order) == sorted(bench_run.names()) for order in orders)
    middle = (len(names) + 1 - 1) / 2
    for label in bench_run.names():  # shifting by one kept one backend at mean place 2, another at 6
        assert abs(statistics.mean(order.index(label) for order in orders) - middle) <= 1
    gaps = [order.index("flask-orm~aa") - order.index("flask-orm") for order in orders]
    assert sum(gap < 0 for gap in gaps) in (2, 3)  # the copy runs before its original about as often as after
    assert len(set(map(abs, gaps))) > 2  # at distances that vary…
    assert statistics.mean(map(abs, gaps)) == pytest.approx(10 / 3, abs=0.5)  # …like two random backends' (n+1)/3
    assert all(a[-1] != b[0] for a, b in zip(orders, orders[1:], strict=False))  # no backend takes two turns in a row


def test_a_baseline_copy_stays_next_to_its_backend_and_they_take_turns_going_first():
    units = [["flask", "flask@HEAD~1"], ["raw", "raw@HEAD~1"], ["django", "django@HEAD~1"]]
    orders = [round_order(units, r) for r in range(4)]
    for order in orders:
        for after, before in units:
            assert abs(order.index(after) - order.index(before)) == 1
    assert [order.index("flask") < order.index("flask@HEAD~1") for order in orders] == [True, False, True, False]
