"""The shared contract every backend uses: tables, schemas, queries, security.

Nothing in this package imports a web framework, so the FastAPI and Django
adapters in ``backends/`` can import it without pulling in Flask.
"""
