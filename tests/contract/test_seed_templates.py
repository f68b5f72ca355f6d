"""The seed's post and comment templates agree with the contract's cashtag parser.

Seeded posts skip the regex, so their stored cashtags are right only if every template
yields exactly the tickers it was filled with. Pure: no database (the seeding itself is
tests/persistence/test_catalogue.py).
"""

from __future__ import annotations

from finboard.contract.cashtags import extract_cashtags
from finboard.contract.limits import TITLE_MAX
from finboard.core.seeding import catalogue


def test_every_template_yields_the_cashtags_it_was_filled_with():
    """Seeded posts skip the regex: the tickers put into a template are exactly what extract_cashtags finds."""
    import random

    rnd = random.Random(1).random
    tickers = sorted({t for group in catalogue.TICKERS.values() for t in group} | set(catalogue.DEFAULT_TICKERS))
    templates = [
        *catalogue.TITLES,
        *catalogue.OPENER_TEMPLATES,
        *catalogue.POINT_TEMPLATES,
        *catalogue.CLOSER_TEMPLATES,
        *catalogue.COMMENT_TEMPLATES,
    ]
    for template in templates:
        for t in tickers:
            for u in tickers:
                rendered = template.render(rnd, t, u)
                expected = list(dict.fromkeys(t if slot == catalogue.T else u for slot in template.tickers))
                assert extract_cashtags(rendered) == expected, rendered
    longest = max(len(t) for t in tickers)
    assert all(len(t.render(rnd, "X" * longest, "Y" * longest)) + 10 < TITLE_MAX for t in catalogue.TITLES)
