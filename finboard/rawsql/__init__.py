"""The hand-written SQL data layer: psycopg, SQL text, orjson documents.

The leanest way to answer the API's reads on PostgreSQL, below every adapter
and sharing nothing with their ORMs:

- ``statements`` — the SQL text (every value bound), one place;
- ``documents`` — rows to the contract's JSON bytes (orjson), the same bytes the
  pydantic schemas serialise to (the conformance suite compares them);
- ``reads`` — the sync face: each read on a psycopg ``Connection``;
- ``pool`` — one psycopg pool per worker process, for servers that own no pool.

Which data layer serves a request is a named setting (``DATA_LAYER``: ``orm``
is each framework's own ORM, ``sql`` is this package); the ``wsgi-raw``
ceiling is a framework-less app on it. It imports only ``finboard.contract``
and ``finboard.settings``.
"""
