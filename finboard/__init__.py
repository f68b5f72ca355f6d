"""FinBoard: a lightweight forum for people who talk about markets.

This package docstring is deliberately all there is here: importing
``finboard.core`` (the shared contract used by the FastAPI and Django adapters)
must not import Flask. The Flask application lives in ``finboard.app``.
"""
