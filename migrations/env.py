"""Alembic environment: the only DDL any FinBoard backend runs.

It needs no web framework: the URL comes from the Flask app when one is
running (``flask db upgrade``), otherwise from ``finboard.settings``.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from finboard.core.models import Base
from finboard.settings import load_settings

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_metadata = Base.metadata


def database_url() -> str:
    """The database to migrate: ``DATABASE_DIRECT_URL`` when set (behind PgBouncer the DDL goes to
    PostgreSQL itself, README *PgBouncer*), else the app's."""
    if url := config.get_main_option("sqlalchemy.url"):
        return url
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            direct = current_app.config["FINBOARD_SETTINGS"].database_direct_url
            return direct or current_app.config["SQLALCHEMY_DATABASE_URI"]
    except ImportError:  # pragma: no cover - Flask is always installed with FinBoard
        pass
    settings = load_settings(require_secret=False)
    return settings.database_direct_url or settings.database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url()
    # No prepared statements: through PgBouncer's transaction pooling they would outlive the
    # migration on a server connection other clients then get (finboard.rawsql.connect).
    more = {"connect_args": {"prepare_threshold": None}} if url.startswith("postgresql") else {}
    connectable = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool, **more)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
