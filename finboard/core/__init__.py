"""Persistence and use cases every backend shares: tables, queries, use cases, security, settings.

The contract they serve (schemas, errors, parsing, pagination, pure rules) is
``finboard.contract``, the only finboard package this one imports. Nothing in
this package imports a web framework, so the FastAPI and Django adapters in
``backends/`` can import it without pulling in Flask. See docs/ARCHITECTURE.md.
"""
