"""Which framework-less ceiling, and which ``-sql`` variant, each benchmarked label is measured against.

The report splits one request's cost into the ceiling, what the framework adds
(``X-sql`` − its ceiling) and what the ORM and serialisation add (``X-orm`` −
``X-sql``). Which ceiling is "its own" is decided by the registry, not by
names: a ceiling is a read-only backend on the hand-written SQL layer, and a
backend's ceiling is the one with the same interface (WSGI or ASGI; Flask and
Django → ``wsgi-raw``, FastAPI → ``asgi-raw``). A backend's ``-sql`` variant
is the registered backend serving the same app on the SQL layer.

A run's labels carry more than the name: ``NAME@granian`` (another server),
``NAME@REV`` (a baseline worktree) and ``NAME~aa`` (the A/A copy). Those are
kept, so ``flask-sql@granian`` is compared with ``wsgi-raw@granian`` and
``flask-sql@HEAD~1`` with ``wsgi-raw@HEAD~1``: like against like. The A/A
copy is measured against the same ceiling as its original.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from finboard.bench.servers import LABEL_SEPARATOR, ServerError, app_interface
from finboard.registry import ORM, SQL, Backend, canonical, registered

AA_SUFFIX = "~aa"  # the A/A copy of a backend is labelled NAME~aa (finboard.bench.precision)


@cache
def _registered() -> Mapping[str, Backend]:
    """The registry, read once per process: a report asks for a label's ceiling once per cell."""
    return registered()


def split_label(label: str) -> tuple[str, str]:
    """``flask-sql@granian~aa`` → (``flask-sql``, ``@granian``): the backend's name and its server/REV suffix.

    The A/A marker is dropped; a REV's own ``~`` (``@HEAD~1``) is kept.
    """
    bare = label[: -len(AA_SUFFIX)] if label.endswith(AA_SUFFIX) else label
    name, sep, rest = bare.partition(LABEL_SEPARATOR)
    return name, sep + rest


def is_ceiling(backend: Backend) -> bool:
    """A framework-less ceiling: read-only, on the hand-written SQL layer (``wsgi-raw``, ``asgi-raw``)."""
    return backend.read_only and backend.data_layer == SQL


def _backend(name: str, backends: Mapping[str, Backend]) -> Backend | None:
    return backends.get(canonical(name))


def _interface(backend: Backend) -> str | None:
    try:
        return app_interface(backend)
    except ServerError:
        return None


def ceiling_name(name: str, backends: Mapping[str, Backend] | None = None) -> str | None:
    """The registered ceiling with the same interface as backend ``name`` (itself for a ceiling), or None."""
    backends = _registered() if backends is None else backends
    backend = _backend(name, backends)
    if backend is None:
        return None
    if is_ceiling(backend):
        return backend.name
    interface = _interface(backend)
    found = [b.name for b in backends.values() if is_ceiling(b) and _interface(b) == interface]
    return found[0] if found else None


def ceiling_of(label: str, backends: Mapping[str, Backend] | None = None) -> str | None:
    """The label of ``label``'s own ceiling, served the same way: ``fastapi-orm@granian`` → ``asgi-raw@granian``."""
    name, suffix = split_label(label)
    ceiling = ceiling_name(name, backends)
    if ceiling is None:
        return None
    return name + suffix if ceiling == canonical(name) else ceiling + suffix  # a ceiling is its own, by any name


def sql_variant_of(label: str, backends: Mapping[str, Backend] | None = None) -> str | None:
    """For an ``-orm`` label, the label of the same app on the SQL layer (``django-orm@REV`` → ``django-sql@REV``)."""
    backends = _registered() if backends is None else backends
    name, suffix = split_label(label)
    backend = _backend(name, backends)
    if backend is None or backend.data_layer != ORM:
        return None
    found = [b.name for b in backends.values() if b.app == backend.app and b.data_layer == SQL and not b.read_only]
    return found[0] + suffix if found else None


def is_ceiling_label(label: str, backends: Mapping[str, Backend] | None = None) -> bool:
    name, _ = split_label(label)
    backend = _backend(name, _registered() if backends is None else backends)
    return backend is not None and is_ceiling(backend)


def data_layer_of(label: str, backends: Mapping[str, Backend] | None = None) -> str:
    """``orm``, ``sql`` or empty (a label no registered backend answers to)."""
    backend = _backend(split_label(label)[0], _registered() if backends is None else backends)
    return backend.data_layer if backend else ""
