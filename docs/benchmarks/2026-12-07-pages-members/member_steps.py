"""Where a spliced member index spends its time, step by step (the table in README.md).

Run against a seeded database with a member's session cookie in MEMBER_COOKIE (``session=…``:
finboard.bench.client.form_login against a local gunicorn gives one):

    DATABASE_URL=postgresql://… REDIS_URL=redis://… SECRET_KEY=… FINBOARD_ENV=production \
        MEMBER_COOKIE='session=…' PYTHONPATH=. python docs/benchmarks/2026-12-07-pages-members/member_steps.py
"""

from __future__ import annotations

import collections
import functools
import os
import time

import finboard.auth.session as session_module
import finboard.member_pages as member_pages
import finboard.page_cache as page_cache
from wsgi import app

REQUESTS = 300
spent: collections.Counter = collections.Counter()


def timed(module, name: str) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    setattr(module, name, wrapper)


timed(session_module, "load_user")
timed(member_pages, "_block")
timed(member_pages, "_put_marks")
timed(page_cache.PageCacheLayer, "visitor_page")
app.login_manager.user_loader(session_module.load_user)  # the wrapped loader

client = app.test_client()
client.set_cookie("session", os.environ["MEMBER_COOKIE"].strip().split("=", 1)[1])
for _ in range(20):
    client.get("/")
spent.clear()
started = time.perf_counter()
for _ in range(REQUESTS):
    client.get("/")
print(f"request {(time.perf_counter() - started) / REQUESTS * 1000:.2f} ms")
for name, seconds in spent.most_common():
    print(f"  {name}: {seconds / REQUESTS * 1000:.2f} ms")
