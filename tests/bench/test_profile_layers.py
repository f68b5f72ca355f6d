"""The classifier of ``flask bench profile`` on real py-spy lines: each sample's layer, its process, its frames.

The lines (tests/bench/fixtures/py-spy-raw.txt) are py-spy 0.4.3's own output
for the five default backends under load, so a change in how py-spy writes a
frame, or in which package a layer holds, shows here.
"""

from __future__ import annotations

import pytest

from finboard.bench.profile_layers import (
    APP,
    DRIVER,
    FRAMEWORK,
    LAYERS,
    ORM,
    OTHER,
    SERIALISATION,
    SERVER,
    SQL_LAYER,
    parse,
    parse_frame,
    parse_line,
    shorten,
)
from tests.bench.helpers import FIXTURES

LINES = [line for line in (FIXTURES / "py-spy-raw.txt").read_text().splitlines() if not line.startswith("#")]


def sample_ending(function: str):
    """The fixture's sample whose innermost frame is ``function (path)`` (the line number left out)."""
    found = [s for s in parse(LINES) if s.innermost is not None and s.innermost.key == function]
    assert found, f"no line ends in {function}"
    return found[0]


@pytest.mark.parametrize(
    ("innermost", "layer"),
    [
        ("Cursor.fetchall (psycopg/cursor.py)", DRIVER),
        ("TimestamptzLoader._load_iso (psycopg/types/datetime.py)", DRIVER),
        ("wait_async (psycopg/waiting.py)", DRIVER),
        ("AsyncCursor.fetchall (psycopg/cursor_async.py)", DRIVER),
        # rows to JSON through orjson (C, no frame of its own): serialisation, not the SQL layer
        ("post_page (finboard/rawsql/documents.py)", SERIALISATION),
        ("ticker_views.<locals>.<listcomp> (finboard/rawsql/documents.py)", SERIALISATION),
        ("run (finboard/rawsql/reads.py)", SQL_LAYER),
        ("posts (finboard/core/read_cache_keys.py)", APP),
        ("AutomaticMethods.__call__ (backends/fastapi/middleware.py)", APP),
        ("_PGDialect_common_psycopg.do_ping (sqlalchemy/dialects/postgresql/_psycopg_common.py)", ORM),
        ("Flask.preprocess_request (flask/app.py)", FRAMEWORK),
        ("StateMachineMatcher.match.<locals>._match (werkzeug/routing/matcher.py)", FRAMEWORK),
        ("BaseTzLoader.load (django/db/backends/postgresql/psycopg_any.py)", FRAMEWORK),  # Django's own loader
        ("_CVar.__getattr__ (asgiref/local.py)", FRAMEWORK),
        ("ServerErrorMiddleware.__call__ (starlette/middleware/errors.py)", FRAMEWORK),
        ("RequestResponseCycle.send (uvicorn/protocols/http/httptools_impl.py)", SERVER),
        # the standard library is charged to its nearest caller with a layer
        ("formatdate (email/utils.py)", SERVER),  # gunicorn's Date header
        ("socket.accept (socket.py)", SERVER),
        ("IPv4Address.__init__ (ipaddress.py)", SERVER),
        ("Runner.run (asyncio/runners.py)", SERVER),  # the event loop (uvloop: C) under uvicorn
        # pydantic not called by a framework frame (here a torn stack under psycopg_pool): serialisation
        ("BaseModel.model_dump_json (pydantic/main.py)", SERIALISATION),
        # a torn stack of stdlib frames only: nothing to charge it to
        ("_ContextManagerMixin.__aexit__ (asyncio/locks.py)", OTHER),
    ],
)
def test_real_samples_are_charged_to_the_layer_of_their_innermost_package(innermost, layer):
    assert sample_ending(innermost).self_layer == layer


def test_the_stdlib_is_charged_to_its_caller():
    sample = sample_ending("formatdate (email/utils.py)")
    assert sample.innermost.layer is None  # transparent
    assert sample.self_frame.key == "http_date (gunicorn/util.py)"
    runner = sample_ending("Runner.run (asyncio/runners.py)")
    assert runner.self_frame.key == "asyncio_run (uvicorn/_compat.py)"


def test_each_line_names_its_process_and_keeps_its_count_and_frames():
    samples = list(parse(LINES))
    assert len(samples) == len(LINES)  # every real line parses
    first = samples[0]  # flask-sql's heaviest stack: 17 samples of a gunicorn worker in psycopg
    assert first.count == 17 and first.pid == 28565 and "gunicorn wsgi:app" in first.command
    assert first.frames[0].path == "<frozen runpy>" and first.frames[0].layer is None  # python -m gunicorn
    assert first.innermost.line is not None
    assert {"server", "framework", "app", "sql layer", "driver"} <= first.inclusive_layers
    assert all(s.pid is not None for s in samples)


def test_a_gil_sample_without_a_python_frame_is_other():
    [empty] = [s for s in parse(LINES) if not s.frames]
    assert empty.self_layer == OTHER and empty.count == 4


def test_a_frame_torn_by_a_nonblocking_read_is_ignored():
    torn = sample_ending("StateMachineMatcher.match.<locals>._match (werkzeug/routing/matcher.py)")
    assert any(f.path == "__doc__" for f in torn.frames)
    assert OTHER not in torn.inclusive_layers and torn.self_layer == FRAMEWORK


def test_pydantic_is_the_frameworks_when_a_framework_calls_it():
    line = 'process 1:"uvicorn";run_endpoint_function (fastapi/routing.py:212);validate (pydantic/type_adapter.py:4) 3'
    assert parse_line(line).self_layer == FRAMEWORK
    line = 'process 1:"gunicorn";list_posts (finboard/api/posts.py:40);model_validate (pydantic/main.py:600) 3'
    assert parse_line(line).self_layer == SERIALISATION


@pytest.mark.parametrize(
    ("path", "short"),
    [
        ("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/flask/app.py", "flask/app.py"),
        ("/usr/lib/python3/dist-packages/werkzeug/routing.py", "werkzeug/routing.py"),
        ("/usr/local/lib/python3.11/json/encoder.py", "json/encoder.py"),
        ("/work/main/finboard/rawsql/reads.py", "finboard/rawsql/reads.py"),
        ("flask/app.py", "flask/app.py"),
    ],
)
def test_full_filenames_are_shortened_as_py_spy_does(path, short):
    assert shorten(path, roots=["/work/main"]) == short


def test_a_frame_without_a_file_and_malformed_lines():
    assert parse_frame("some native thing").layer == OTHER
    assert parse_line("") is None and parse_line("no count here") is None
    assert len(LAYERS) == len(set(LAYERS)) and LAYERS[-1] == "kernel (system calls)"
