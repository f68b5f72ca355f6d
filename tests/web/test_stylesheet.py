"""The stylesheet's blocks close where its layout says they do.

A lost ``}`` is no syntax error to a browser: the rest of the file silently lands inside the
open block. One did after ``@media (max-width: 480px)``, and the header's menu, the chips, the
confirm steps and dark mode applied on phones only. The file's convention makes the slip
visible: a line at column 0 opens a top-level rule or at-rule; nested lines are indented.
"""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "finboard" / "static" / "finboard.css"


def lines_with_depth() -> list[tuple[int, int, str]]:
    """(line number, brace depth before the line, line) with comments blanked out (line numbers kept)."""
    source = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), CSS.read_text(), flags=re.S)
    rows, depth = [], 0
    for number, line in enumerate(source.split("\n"), 1):
        rows.append((number, depth, line))
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number} closes a block that is not open"
    assert depth == 0, f"{depth} block(s) left open at the end of {CSS.name}"
    return rows


def test_every_block_is_closed_and_top_level_rules_are_at_the_top_level():
    nested = [f"{n}: {line.strip()[:60]}" for n, depth, line in lines_with_depth()
              if depth and line.strip() and not line[0].isspace() and not line.startswith("}")]  # fmt: skip
    assert nested == []


def test_dark_mode_and_the_header_rules_apply_at_every_width():
    top = {line.split("{")[0].strip() for _, depth, line in lines_with_depth() if depth == 0 and "{" in line}
    assert {"@media (prefers-color-scheme: dark)", ".user-menu-list", "@media (max-width: 760px)"} <= top
