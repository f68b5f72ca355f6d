"""The async face of the SQL layer: each read's plan run on a psycopg ``AsyncConnection``.

The same functions as ``finboard.rawsql.reads`` (the sync face), over the same
plans (``finboard.rawsql.plans``: the SQL text, its parameters, the 404s and the
orjson bytes), so the ``asgi-raw`` ceiling and FastAPI with ``DATA_LAYER=sql``
answer with exactly the bytes ``wsgi-raw`` and Flask do. Connections come from
``finboard.rawsql.async_pool`` (autocommit, ``TimeZone=UTC``); this module only
executes.
"""

from __future__ import annotations

from psycopg import AsyncConnection

from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.rawsql import plans
from finboard.rawsql.plans import Plan


async def run(conn: AsyncConnection, plan: Plan):
    """Execute ``plan``'s statements in order on one cursor; its return value (the bytes)."""
    cursor = conn.cursor()
    try:
        statement, params, all_rows = next(plan)
        while True:
            await cursor.execute(statement, params)
            result = await (cursor.fetchall() if all_rows else cursor.fetchone())
            statement, params, all_rows = plan.send(result)
    except StopIteration as done:
        return done.value


async def posts(conn: AsyncConnection, query: PostListQuery) -> bytes:
    return await run(conn, plans.posts(query))


async def post(conn: AsyncConnection, post_id: int) -> bytes:
    return await run(conn, plans.post(post_id))


async def post_alone(conn: AsyncConnection, post_id: int) -> bytes | None:
    return await run(conn, plans.post_alone(post_id))


async def comments(conn: AsyncConnection, post_id: int, query: PageQuery) -> bytes:
    return await run(conn, plans.comments(post_id, query))


async def categories(conn: AsyncConnection) -> bytes:
    return await run(conn, plans.categories())


async def category_stats(conn: AsyncConnection) -> bytes:
    return await run(conn, plans.category_stats())


async def health(conn: AsyncConnection) -> bytes:
    return await run(conn, plans.health())
