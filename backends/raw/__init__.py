"""The raw reference backends: the read endpoints of /api/v1 written the leanest
way Python allows — a plain WSGI callable (``wsgi.py``, ``raw``) or ASGI callable
(``asgi.py``, ``asgi-raw``) around one shared router (``routing.py``), one psycopg 3
pool per worker (sync or asyncio), hand-written SQL and orjson (``finboard.rawsql``).

It is the uncached ceiling the benchmark measures every framework against, so it
answers the same status and the same JSON bytes as the Flask reference for every
read. It is read-only: the write operations of the contract (register, login,
creating, changing and deleting posts and comments) answer 405. It imports no web
framework and no ORM session — only the shared contract (error messages, query
schemas, the OpenAPI document) from ``finboard.core``.
"""
