"""Every search text the contract accepts is one PostgreSQL's websearch_to_tsquery
can parse (issue 15): runs of "-" past its 32-deep operator stack answered 500
("tsquery stack too small") on every backend; PostListQuery now refuses more
than SEARCH_NEGATIONS_MAX in a row with a 422 naming ``search``."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from finboard.contract.limits import SEARCH_MAX
from finboard.contract.posts import SEARCH_NEGATIONS_MAX, PostListQuery
from tests.databases import PG_ADMIN_DSN, require_postgres

pytestmark = pytest.mark.postgres

# What the tsquery parser treats specially, and what it skips between operators.
PIECES = st.sampled_from(["-", "-", "-", " ", "(", ")", "!", "&", "|", "<", '"', "\t", "\u3000", "a", "or ", "the "])
SEPARATORS = st.sampled_from(["", " ", "(", "|", "<", "\u3000"])
RUNS = st.builds(lambda sep, n: sep.join("-" * n), SEPARATORS, st.integers(1, 12))  # n "-" with sep between


@pytest.fixture(scope="module")
def conn():
    require_postgres()
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        yield connection


def _parses(conn, search: str) -> None:
    conn.execute("SELECT websearch_to_tsquery('english', %s)", (search,))


@pytest.mark.parametrize("search", ["-" * 33, "x " + "-" * 32 + "x", "(-" * 40, "- " * 40])
def test_the_runs_that_broke_postgres_are_refused(conn, search):
    with pytest.raises(psycopg.errors.InternalError_, match="tsquery stack too small"):
        _parses(conn, search)
    with pytest.raises(ValidationError, match="in a row"):
        PostListQuery(search=search)


def test_the_longest_allowed_runs_parse(conn):
    run = "-" * SEARCH_NEGATIONS_MAX
    for search in (run + "a", (run + "a ") * 20, ("x or " + run + "x ") * 12, ("(" + run + "a) ") * 18):
        accepted = PostListQuery(search=search[:SEARCH_MAX]).search
        _parses(conn, accepted)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.lists(st.one_of(PIECES, RUNS), max_size=60).map("".join))
def test_every_accepted_search_parses(conn, text):
    try:
        accepted = PostListQuery(search=text[:SEARCH_MAX]).search
    except ValidationError:
        return
    if accepted:
        _parses(conn, accepted)
