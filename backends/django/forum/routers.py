"""The schema belongs to migrations/ (Alembic), never to Django."""


class NoMigrationsRouter:
    """Reads and writes go to the default database; migrations go nowhere."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False
