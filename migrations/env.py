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
    if url := config.get_main_option("sqlalchemy.url"):
        return url
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app.config["SQLALCHEMY_DATABASE_URI"]
    except ImportError:  # pragma: no cover - Flask is always installed with FinBoard
        pass
    return load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config({"sqlalchemy.url": database_url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
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
