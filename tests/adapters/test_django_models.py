"""The Django adapter's unmanaged models agree with the shared SQLAlchemy tables.

migrations/ is the only DDL and finboard.core.models mirrors it (another test
checks that pair); here the Django models (backends/django/forum/models.py)
are compared with that metadata table by table and column by column: names,
types and lengths, nullability, primary keys, uniqueness and foreign keys.
A column added, dropped or changed on one side only fails. Django is set up
with a SQLite URL and never connects.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text, UniqueConstraint

from finboard.core.models import Base, UTCDateTime

pytest.importorskip("django")


@pytest.fixture(scope="module")
def django_models(tmp_path_factory):
    """The forum app's models, with Django configured from the adapter's settings module."""
    import django
    from django.apps import apps
    from django.conf import settings

    with pytest.MonkeyPatch.context() as mp:
        if not settings.configured:
            url = f"sqlite:///{tmp_path_factory.mktemp('django') / 'never-opened.sqlite3'}"
            mp.setenv("DATABASE_URL", url)
            mp.setenv("SECRET_KEY", "test-secret-key-with-enough-entropy")
            mp.setenv("DJANGO_SETTINGS_MODULE", "backends.django.settings")
            mp.delenv("REDIS_URL", raising=False)
        django.setup()
    return {model._meta.db_table: model for model in apps.get_app_config("forum").get_models()}


def _concrete_fields(model):
    return [f for f in model._meta.get_fields() if getattr(f, "concrete", False) and getattr(f, "column", None)]


def _django_type(field) -> tuple[str, int | None]:
    """A Django field as (kind, length), the kinds SQLAlchemy types map to."""
    from django.db import models

    from backends.django.forum.models import UTCDateTimeField

    if isinstance(field, models.ForeignKey):
        return _django_type(field.target_field)
    if isinstance(field, models.AutoField | models.IntegerField) and not isinstance(
        field, models.BigIntegerField | models.SmallIntegerField | models.BigAutoField | models.SmallAutoField
    ):
        return ("integer", None)
    if isinstance(field, models.BooleanField):
        return ("boolean", None)
    if isinstance(field, models.CharField):
        return ("string", field.max_length)
    if isinstance(field, models.TextField):
        return ("text", None)
    if isinstance(field, UTCDateTimeField):
        return ("utc-datetime", None)
    if isinstance(field, models.DateTimeField):
        return ("datetime", None)
    if isinstance(field, models.DateField):
        return ("date", None)
    name = f"{field.model.__name__}.{field.name}"
    raise AssertionError(f"no SQLAlchemy counterpart for {field.__class__.__name__} ({name})")


def _sqlalchemy_type(column) -> tuple[str, int | None]:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return ("utc-datetime", None)
    if isinstance(kind, Integer):
        return ("integer", None)
    if isinstance(kind, Boolean):
        return ("boolean", None)
    if isinstance(kind, String) and not isinstance(kind, Text):
        return ("string", kind.length)
    if isinstance(kind, Text):
        return ("text", None)
    if isinstance(kind, DateTime):
        return ("datetime", None)
    if isinstance(kind, Date):
        return ("date", None)
    raise AssertionError(f"no Django counterpart for {kind!r} ({column.table.name}.{column.name})")


def _django_table(model) -> dict[str, dict]:
    from django.db import models

    pk = model._meta.pk
    pk_columns = {f.column for f in pk.fields} if isinstance(pk, models.CompositePrimaryKey) else {pk.column}
    table = {}
    for field in _concrete_fields(model):
        fk = None
        if isinstance(field, models.ForeignKey):
            fk = f"{field.related_model._meta.db_table}.{field.target_field.column}"
        table[field.column] = {
            "type": _django_type(field),
            "nullable": field.null,
            "primary_key": field.column in pk_columns,
            "unique": bool(field.unique) and field.column not in pk_columns,
            "foreign_key": fk,
        }
    return table


def _sqlalchemy_table(table) -> dict[str, dict]:
    single_column_unique = (c for c in table.constraints if isinstance(c, UniqueConstraint) and len(c.columns) == 1)
    unique = {next(iter(c.columns)).name for c in single_column_unique}
    unique |= {c.name for c in table.columns if c.unique}
    result = {}
    for column in table.columns:
        fks = [f"{fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys]
        assert len(fks) <= 1, f"{table.name}.{column.name} has several foreign keys"
        result[column.name] = {
            "type": _sqlalchemy_type(column),
            "nullable": bool(column.nullable),
            "primary_key": column.primary_key,
            "unique": column.name in unique and not column.primary_key,
            "foreign_key": fks[0] if fks else None,
        }
    return result


def test_same_tables(django_models):
    assert set(django_models) == set(Base.metadata.tables)


@pytest.mark.parametrize("table_name", sorted(Base.metadata.tables))
def test_same_columns(django_models, table_name):
    django_table = _django_table(django_models[table_name])
    sqlalchemy_table = _sqlalchemy_table(Base.metadata.tables[table_name])
    assert sorted(django_table) == sorted(sqlalchemy_table), "columns differ"
    for column, expected in sqlalchemy_table.items():
        assert django_table[column] == expected, f"{table_name}.{column}"


def test_models_are_unmanaged(django_models):
    for model in django_models.values():
        assert model._meta.managed is False, model.__name__


def test_router_never_allows_migrations(django_models):
    from django.conf import settings
    from django.db import router

    from backends.django.forum.routers import NoMigrationsRouter

    assert settings.DATABASE_ROUTERS == [
        "backends.django.forum.replicas.ReplicaRouter",  # only the content reads, only with replicas
        "backends.django.forum.routers.NoMigrationsRouter",
    ]
    for model in django_models.values():
        assert router.allow_migrate_model("default", model) is False
        assert router.allow_migrate("default", model._meta.app_label, model_name=model._meta.model_name) is False
    assert NoMigrationsRouter().allow_migrate("default", "forum") is False
    assert NoMigrationsRouter().allow_migrate("other", "contenttypes", model_name="contenttype") is False


def test_the_replica_router_reads_from_a_replica_only_inside_a_content_read(django_models):
    from django.db import router

    from backends.django.forum.replicas import reading_from

    post = django_models["posts"]
    assert (router.db_for_read(post), router.db_for_write(post)) == ("default", "default")
    with reading_from("replica-0"):
        assert (router.db_for_read(post), router.db_for_write(post)) == ("replica-0", "default")
    assert router.db_for_read(post) == "default"


@pytest.mark.parametrize("cashtag", [None, "BTC"])
@pytest.mark.parametrize("sort", ["new", "old", "comments"])
def test_orderings_match_the_shared_queries(django_models, sort, cashtag):
    """The Django orderings are finboard.core.read_statements.ordering, table and column for column."""
    from sqlalchemy.sql import operators

    from backends.django.forum.queries import CASHTAG_SORT_FIELDS, ORDERINGS, POST_SORT_FIELDS
    from finboard.contract.post_filters import PostFilters
    from finboard.core.read_statements import ListingShape, ordering

    shared = tuple(
        ("-" if clause.modifier is operators.desc_op else "", clause.element.table.name, clause.element.name)
        for clause in ordering(ListingShape.of(PostFilters(sort=sort, cashtag=cashtag), "postgresql"))
    )
    fields = CASHTAG_SORT_FIELDS if cashtag else POST_SORT_FIELDS
    django = []
    for field in ORDERINGS[sort]:
        path = field.lstrip("-").format(**fields)
        table = "post_cashtags" if path.startswith("cashtag_rows__") else "posts"
        column = {"cashtag_rows__post_id": "post_id"}.get(path, path.split("__")[-1])
        django.append(("-" if field.startswith("-") else "", table, column))
    assert tuple(django) == shared


def test_a_column_on_one_side_only_is_caught(django_models):
    """The comparison itself notices a missing column (guards the helpers above)."""
    table = _sqlalchemy_table(Base.metadata.tables["posts"])
    django_table = _django_table(django_models["posts"])
    django_table.pop("cashtags")
    assert sorted(django_table) != sorted(table)


def test_a_search_alone_newest_first_goes_through_the_function(django_models):
    """Django sends finboard_search_newest (migration 0020) exactly when the shared builders do."""
    from backends.django.forum.queries import filtered_posts
    from finboard.contract.pagination import Cursor
    from finboard.contract.post_filters import PostFilters

    def sql(filters, vendor="postgresql", cursor=None):
        return str(filtered_posts(filters, vendor, cursor, 21).query)

    alone = sql(PostFilters(search="gold"))
    assert "finboard_search_newest" in alone and "search_vector" not in alone
    deep = sql(PostFilters(search="gold"), cursor=Cursor("new", datetime(2026, 11, 1, tzinfo=UTC), 42))
    assert "finboard_search_newest" in deep and "2026-11-01" in deep
    for other in (PostFilters(search="gold", sort="old"), PostFilters(search="gold", category="crypto")):
        assert "finboard_search_newest" not in sql(other)
    assert "finboard_search_newest" not in sql(PostFilters(search="gold"), vendor="sqlite")
    assert "finboard_search_newest" not in str(filtered_posts(PostFilters(search="gold"), "postgresql").query)
