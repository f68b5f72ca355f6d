"""The Flask application factory: ``create_app`` as a list of named steps."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from finboard.config import flask_config
from finboard.extensions import csrf, db, init_cache, login_manager

MIGRATIONS_DIR = "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the forum. ``config`` overrides the environment (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.merge_slashes = False  # "//" is a 404 in the error shape, not a redirect
    app.config.update(flask_config())
    if config:
        app.config.update(config)
    register_extensions(app)
    register_page_cache(app)  # inside ProxyFix (register_security), outside everything else
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_static_files(app)
    register_read_connection(app)
    register_commands(app)
    return app


def register_read_connection(app: Flask) -> None:
    """The reads' data layer (``DATA_LAYER``), checked against the database the app really uses."""
    from finboard.reads import close_read_connection
    from finboard.replicas import init_app as init_replicas
    from finboard.settings import require_postgres_for_sql

    require_postgres_for_sql(app.config["FINBOARD_SETTINGS"].data_layer, app.config["SQLALCHEMY_DATABASE_URI"])
    app.teardown_appcontext(close_read_connection)
    init_replicas(app)  # DATABASE_REPLICA_URLS: content reads on the replicas, read-your-writes


def register_page_cache(app: Flask) -> None:
    """Whole visitor pages answered from the cache before Flask runs (``finboard.page_cache``)."""
    from finboard.page_cache import init_app as init_page_cache

    init_page_cache(app)


def register_static_files(app: Flask) -> None:
    from finboard.static_files import init_app as init_static_files

    init_static_files(app)


def register_extensions(app: Flask) -> None:
    from finboard.ratelimits import init_app as init_ratelimits

    db.init_app(app)
    register_migrations(app)
    init_cache(app)
    csrf.init_app(app)
    init_ratelimits(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    from finboard.auth.session import init_app as init_sessions
    from finboard.auth.session import load_user

    login_manager.user_loader(load_user)
    init_sessions(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _enable_sqlite_pragmas(app)
    else:
        _prepare_postgres_sessions(app)


def _prepare_postgres_sessions(app: Flask) -> None:
    """Behind PgBouncer, each new connection sets the UTC time zone its startup options would have."""
    from finboard.core.pg_sessions import prepare_engine

    with app.app_context():
        engines = list(db.engines.values())  # the primary's and each read replica's
    for engine in engines:
        prepare_engine(engine, app.config["FINBOARD_SETTINGS"], utc=True)


def register_migrations(app: Flask) -> None:
    """Flask-Migrate's ``flask db`` commands, when the app is built by a command line.

    Importing Flask-Migrate loads Alembic and Mako (about 250 ms and several MB
    per worker) that a web server never uses, so gunicorn workers skip it; the
    ``flask`` command (and an app configured with ``FINBOARD_MIGRATIONS=True``) get it.
    """
    import click

    if click.get_current_context(silent=True) is None and not app.config.get("FINBOARD_MIGRATIONS"):
        return
    from pathlib import Path

    from flask_migrate import Migrate

    Migrate(app, db, directory=str(Path(app.root_path).parent / MIGRATIONS_DIR))


def _enable_sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, WAL for concurrent readers, a busy timeout for writers."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def register_security(app: Flask) -> None:
    from finboard.web_security import init_app as init_security

    init_security(app)


def register_blueprints(app: Flask) -> None:
    # Importing these registers their routes on their blueprint (the API's, members', moderation's, posts').
    import finboard.account.unsubscribe_views  # noqa: F401
    import finboard.api.account_data  # noqa: F401
    import finboard.api.accounts  # noqa: F401
    import finboard.api.blocks  # noqa: F401
    import finboard.api.docs  # noqa: F401
    import finboard.api.market  # noqa: F401
    import finboard.api.moderation  # noqa: F401
    import finboard.api.profiles  # noqa: F401
    import finboard.api.reactions  # noqa: F401
    import finboard.api.reading  # noqa: F401
    import finboard.api.replies  # noqa: F401
    import finboard.api.subscriptions  # noqa: F401
    import finboard.api.two_factor  # noqa: F401
    import finboard.api.uploads  # noqa: F401
    import finboard.market.trending  # noqa: F401
    import finboard.members.blocking  # noqa: F401
    import finboard.members.data_pages  # noqa: F401
    import finboard.members.reading  # noqa: F401
    import finboard.members.views  # noqa: F401
    import finboard.moderation.reports  # noqa: F401
    import finboard.moderation.views  # noqa: F401
    import finboard.posts.history  # noqa: F401
    import finboard.posts.reactions  # noqa: F401
    import finboard.posts.replies  # noqa: F401
    from finboard.account.views import bp as account_bp
    from finboard.api.views import bp as api_bp
    from finboard.auth.views import bp as auth_bp
    from finboard.health import bp as health_bp
    from finboard.market import feeds  # noqa: F401 - registers the feed routes on the market blueprint
    from finboard.market.views import bp as market_bp
    from finboard.members import bp as members_bp
    from finboard.moderation import bp as moderation_bp
    from finboard.posts.views import bp as posts_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(market_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp)
    register_account_pages(app)
    register_upload_pages(app)


def register_upload_pages(app: Flask) -> None:
    """Images for Markdown: the upload page, /media files, the moderators' list (finboard/uploads)."""
    from finboard.uploads import views

    views.init_app(app)


def register_account_pages(app: Flask) -> None:
    """Settings and the login's two-factor step (their own modules: finboard/members/settings_pages.py,
    finboard/auth/two_factor.py)."""
    from finboard.auth import two_factor
    from finboard.members import settings_pages

    app.register_blueprint(two_factor.bp)
    two_factor.init_app(app)
    settings_pages.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from finboard.errors import init_app as init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from finboard.templating import init_app as init_templating

    init_templating(app)


def register_commands(app: Flask) -> None:
    import cli

    cli.init_app(app)
    logging.getLogger("finboard").setLevel(logging.INFO)
