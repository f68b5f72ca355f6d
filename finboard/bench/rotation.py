"""The order backends take their turns in each round: a balanced (Williams) Latin-square rotation.

It exists because the position of a turn in a round is itself a treatment: the
machine drifts within a round (a neighbour starts, PostgreSQL's caches and
autovacuum change state), and a turn right after another backend's load sees
that load's aftermath (a hot PostgreSQL, a draining queue). Shifting the list
by one each round — what the runner did before — kept every backend at nearly
the same place (with 9 backends and 5 rounds one was always in the first half,
another always in the second) and always behind the same neighbour: the A/A
copy, listed last, ran right before its original in every round but the
first, so the control measured two adjacent turns in a fixed order, unlike
any real comparison.

Each round's order here is a row of a Williams design over the run's *units*
(a backend, or a backend with its ``--baseline`` copy, which stay adjacent):
over a full cycle (n rounds for n units when n is even, 2n when odd) every unit
takes every position equally often and follows every other unit equally
often. Rows come in mirrored pairs two rounds apart (row s, row s+1, mirror
of s, mirror of s+1, …), so after every four rounds each unit's mean position
is exactly the middle and every two units have run in each order equally
often, while a unit rarely takes two turns in a row across a round boundary (a
row next to its own mirror: once a cycle at most, from four units up). Within
a unit the backend and its baseline copy swap places every round.

A round is scenario-major: for each scenario in turn, every backend runs that
scenario's cells back to back, in the row of that *slot* (``slot``: round ×
scenarios + the scenario's index). Two backends' cells of one scenario are then
seconds apart rather than the minutes a backend-major round put between them
(every scenario of one backend, then the next backend), so a drift of the
machine over a round no longer shifts every scenario of one backend against
another the same way; and 5 rounds × 6 scenarios walk 30 rows, three full
cycles of the design, instead of half of one.
"""

from __future__ import annotations

from collections.abc import Sequence


def williams_row(n: int, shift: int) -> list[int]:
    """Row ``shift`` of the Williams design on n items: 0, 1, n-1, 2, n-2, … each plus ``shift`` (mod n)."""
    seq, low, high = [0] if n else [], 1, n - 1
    while len(seq) < n:
        seq.append(low)
        low += 1
        if len(seq) < n:
            seq.append(high)
            high -= 1
    return [(x + shift) % n for x in seq]


def cycle_length(n: int) -> int:
    """Rounds after which every unit has held every position equally often (and followed every other)."""
    if n <= 1:
        return 1
    return n if n % 2 == 0 else 2 * n


def row_of_round(n: int, repeat: int) -> list[int]:
    """The item order of round ``repeat``: rows in blocks of four — s, s+1, mirror of s, mirror of s+1.

    The design is m rows and their mirrors (m = n/2 for even n, whose mirrors are
    the design's other half; m = n for odd n); with m odd the last block is a row
    and its mirror.
    """
    if n <= 1:
        return list(range(n))
    cycle = cycle_length(n)
    position = repeat % cycle
    block, offset = divmod(position, 4)
    if 4 * block + 4 <= cycle:
        shift, mirrored = 2 * block + offset % 2, offset >= 2
    else:
        shift, mirrored = 2 * block, offset == 1
    row = williams_row(n, shift)
    return row[::-1] if mirrored else row


def slot(repeat: int, scenario_index: int, scenarios: int) -> int:
    """The row index of one scenario's turns within round ``repeat``: rows advance scenario by scenario."""
    return repeat * max(1, scenarios) + scenario_index


def round_order(units: Sequence[Sequence[str]], repeat: int) -> list[str]:
    """The labels in the order they take their turns in round ``repeat`` (0-based).

    ``units`` are groups that stay adjacent (a backend and its ``--baseline``
    copy); within a group the order swaps every round.
    """
    units = [list(u) for u in units if u]
    order = []
    for index in row_of_round(len(units), repeat):
        unit = units[index]
        order += unit if repeat % 2 == 0 else unit[::-1]
    return order
