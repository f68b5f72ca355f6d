"""The yardstick: the smallest Flask app, served by the same gunicorn settings as the boards.

A page's req/s divided by this one's says what the page costs beyond Flask and gunicorn
themselves on this machine at that moment. It runs twice, once under each board's Python
(FinBoard's interpreter and FlaskBB's 3.12 venv), so an interpreter or Flask version difference
between the two boards shows up here instead of being read as an app difference.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "Hello, World!"
