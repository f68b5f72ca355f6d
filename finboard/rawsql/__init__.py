"""The hand-written SQL data layer: psycopg, SQL text, orjson documents.

The leanest way to answer the API's reads on PostgreSQL, below every adapter
and sharing nothing with their ORMs:

- ``statements`` — the SQL text (every value bound), one place;
- ``documents`` — rows to the contract's JSON bytes (orjson), the same bytes the
  pydantic schemas serialise to (the conformance suite compares them);
- ``plans`` — each read once: its statements, parameters, order, 404s and bytes;
- ``reads`` — the sync face: the plans run on a psycopg ``Connection``;
- ``async_reads`` — the async face: the same plans on an ``AsyncConnection``;
- ``pool`` / ``async_pool`` — one psycopg pool (sync / asyncio) per worker process,
  configured alike (``pool.PoolSettings``), for servers that own no pool.

Which data layer serves a request is a named setting (``DATA_LAYER``: ``orm``
is each framework's own ORM, ``sql`` is this package); the ``wsgi-raw`` and
``asgi-raw`` ceilings are framework-less apps on its two faces. It imports only ``finboard.contract``
and ``finboard.settings``.
"""
