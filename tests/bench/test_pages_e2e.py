"""The page scenarios against real servers: form logins, page checks, ETags, and one short run.

PostgreSQL-backed, with the forum (flask-orm) and the /hello yardstick started
under gunicorn as ``flask bench run`` starts them. Nothing is mocked: each
page is compared with what the API lists, the deep page with the link of the
page before it, a member's page with the member logged in.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import replace

import pytest

from finboard.bench import database, page_check
from finboard.bench.client import Client, form_login, login_sessions
from finboard.bench.plan import server_env
from finboard.bench.scenarios import SCENARIOS
from finboard.bench.verify import Verifier
from finboard.registry import FLASK_ORM, HELLO
from finboard.serving import start_backend
from finboard.settings import PROJECT_ROOT
from tests.databases import require_postgres

pytestmark = pytest.mark.postgres
POSTS = 300
PAGES = [n for n, s in SCENARIOS.items() if s.per_hello]


@pytest.fixture(scope="module")
def served():
    require_postgres()
    with ExitStack() as stack:
        url = stack.enter_context(database.throwaway_database())
        database.migrate(url)
        database.seed_if_empty(url, POSTS)
        facts = database.read_facts(url)
        # The cache on, in-process (one worker, no Redis): a build with the whole-page cache sends ETags
        env = server_env(url, secrets.token_urlsafe(32), 2, "on", "")
        forum = stack.enter_context(start_backend(FLASK_ORM, env=env, workers=1))
        hello = stack.enter_context(start_backend(HELLO, env=env, workers=1))
        yield facts, forum.base_url, hello.base_url


def test_members_log_in_through_the_form_and_their_pages_say_so(served):
    facts, forum, _ = served
    sessions = login_sessions(forum, facts.usernames, 3)
    assert [s.username for s in sessions] == facts.usernames[:3]
    assert all(s.cookie.startswith("session=") for s in sessions) and len({s.cookie for s in sessions}) == 3
    with Client(forum) as client:
        page = client.exchange("GET", "/", None, {"Cookie": sessions[1].cookie})
        visitor = client.exchange("GET", "/", None, {})
    assert page_check.member_name(page.text) == facts.usernames[1] and page_check.member_name(visitor.text) is None
    with pytest.raises(RuntimeError, match="answered 422"):
        form_login(forum, facts.usernames[0], "not-the-password")


def test_every_page_scenario_verifies_against_the_api_and_its_links(served):
    facts, forum, hello = served
    assert facts.deep.page == POSTS // 20 and facts.deep.previous_cursor  # the deepest page, reached by cursor
    [session] = login_sessions(forum, facts.usernames, 1)
    plan = {name: (SCENARIOS[name].generate(facts), False) for name in PAGES}
    verdict = Verifier().verify("flask-orm", forum, plan, None, session)
    assert verdict.ok, verdict.problems
    assert verdict.checked == 8 * (len(PAGES) - 2) + 2  # the deep page is one request, visitor and member
    yardstick = Verifier().verify("hello", hello, {"hello": (SCENARIOS["hello"].generate(facts), False)}, None)
    assert yardstick.ok and yardstick.checked == 1


def test_a_page_that_is_not_what_the_api_lists_or_not_logged_in_fails(served):
    facts, forum, _ = served
    [index] = [r for r in SCENARIOS["page_index"].generate(facts) if r.path == "/"][:1]
    [deep] = SCENARIOS["page_deep_member"].generate(facts)
    wrong = {
        "page_index": ([replace(index, api="/api/v1/posts?page=2")], False),
        "page_deep_member": ([replace(deep, first_id=facts.post_ids[0])], False),
        "hello": ([replace(index, page="hello")], False),
    }
    verdict = Verifier().verify("flask-orm", forum, wrong, None, None)  # no session for the member's page
    text = " | ".join(verdict.problems)
    assert not verdict.ok and "the page lists posts" in text and "the API's /api/v1/posts?page=2 lists" in text
    assert "expected a member (no session cookie was obtained)" in text
    assert f"expected post {facts.post_ids[0]}" in text and "expected 'Hello, World!'" in text


def test_revalidation_sends_the_servers_etags_or_says_there_are_none(served):
    facts, forum, _ = served
    requests = SCENARIOS["page_revalidate"].generate(facts)
    with Client(forum) as client:
        etag = client.exchange("GET", "/", None, {}).headers.get("etag")
    if etag is None:  # this build has no whole-page cache: the cells are skipped, saying why
        with pytest.raises(page_check.NoEtag, match="GET .* sent no ETag: nothing to revalidate"):
            page_check.with_etags(forum, requests, None)
        verdict = Verifier().verify("flask-orm", forum, {"page_revalidate": (requests, False)}, None)
        assert verdict.ok and verdict.notes and "sent no ETag" in verdict.notes[0]
        return
    # with it: every page that sends an ETag revalidates to a 304; one that sends none is left out, named
    resolved, note = page_check.with_etags(forum, requests, None)
    assert resolved and all(dict(r.headers).get("If-None-Match") for r in resolved)
    assert any(r.path == "/" for r in resolved)
    left_out = {r.path for r in requests} - {r.path for r in resolved}
    assert not left_out or (f"{len(left_out)} sent no ETag" in note)
    with Client(forum) as client:
        assert {client.send(r).status for r in resolved[:10]} == {304}


def test_a_short_run_divides_each_page_by_hello(tmp_path):
    require_postgres()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    scenarios = "page_index,page_post,page_post_member,page_revalidate"
    command = [sys.executable, "-m", "flask", "bench", "run", "--backends", "flask-orm", "--scenarios", scenarios,
               "--duration", "1s", "--repeat", "1", "--concurrency", "4", "--data-size", "200", "--cache", "off",
               "--workers", "1", "--threads", "1", "--primer", "0", "--aa", "none", "--sql-requests", "3",
               "--out", str(tmp_path)]  # fmt: skip
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env={**env, "FLASK_APP": "wsgi"}, capture_output=True,
                               text=True, timeout=600)  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["settings"]["backends"] == ["flask-orm", "hello"]  # the yardstick joined the page scenarios
    cells = {(e["backend"], e["scenario"]): e for e in run["results"]}
    assert set(cells) == {("flask-orm", s) for s in scenarios.split(",")} | {("hello", "hello")}
    for key in [("flask-orm", "page_index"), ("flask-orm", "page_post"), ("flask-orm", "page_post_member"),
                ("hello", "hello")]:  # fmt: skip
        assert cells[key]["status"] == "ok" and cells[key]["successes"] > 0, cells[key]
    revalidate = cells[("flask-orm", "page_revalidate")]
    assert revalidate["status"] == "ok" or (
        revalidate["status"] == "skipped" and "sent no ETag" in revalidate["reason"]
    ), revalidate
    assert revalidate["status"] != "ok" or revalidate["statuses"].keys() == {"304"}  # only 304s were timed
    assert {c["target"] for c in run["targets"]} >= {8, 10}
    report = (run_dir / "report.md").read_text()
    assert "### 10. Pages against the /hello yardstick" in report and "× /hello)" in report
    assert "Pages ÷ the /hello yardstick:" in completed.stdout
