"""How a listing's total is read from its counter row, per kind of total (exact, capped, estimated).

Pure: the database half (counters after every write) is tests/persistence/test_totals.py.
"""

from __future__ import annotations

from finboard.contract.pagination import CAPPED, ESTIMATED, EXACT, listing_total


def test_listing_total_reads_each_kind_of_row():
    assert listing_total(EXACT, (42,)) == (42, True)
    assert listing_total(EXACT, (None,)) == (0, True)
    assert listing_total(EXACT, None) == (0, True)  # no counter row: an unknown category
    assert listing_total(CAPPED, (10_000,)) == (10_000, True)
    assert listing_total(CAPPED, (10_001,)) == (10_000, False)
    assert listing_total(ESTIMATED, (123_456, False)) == (123_456, False)
    assert listing_total(ESTIMATED, (37, True)) == (37, True)
    assert listing_total(ESTIMATED, (10_001, True)) == (10_000, False)
