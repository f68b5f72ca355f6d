"""The /hello yardstick: a minimal Flask app with one route, served like the forum (registry: ``hello``).

It exists so a page's throughput can be read against the cheapest thing the
same stack can answer — Flask, Werkzeug and gunicorn's sync workers with the
shared settings of backends/server_conf.py, no database, no templates, no
session — measured in the same run, on the same machine, at the same moment
(issue 19: "a cached visitor page ≥ 0.5× the /hello yardstick"). A ratio to
it does not drift with the machine's load the way a req/s figure does.

Nothing else is imported: the yardstick must not pay for the forum's set-up.
"""

from __future__ import annotations

from flask import Flask

TEXT = "Hello, World!"

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return TEXT
