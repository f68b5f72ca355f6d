"""The ``raw`` reference backend: the read endpoints of /api/v1 written the leanest
way Python allows — a plain WSGI callable, a tiny router on PATH_INFO, one psycopg 3
connection pool per worker, hand-written SQL and orjson.

It is the uncached ceiling the benchmark measures every framework against, so it
answers the same status and the same JSON bytes as the Flask reference for every
read. It is read-only: the write operations of the contract (register, login,
creating, changing and deleting posts and comments) answer 405. It imports no web
framework and no ORM session — only the shared contract (error messages, query
schemas, the OpenAPI document) from ``finboard.core``.
"""
