"""FinBoard's /api/v1 as a small Django project on the shared tables.

Django only reads and writes the tables that ``migrations/`` (Alembic) owns:
the models are ``managed = False`` and a database router forbids migrations.
Request parsing, error shapes and JSON come from ``finboard.core``, so every
answer is byte-for-byte the one the Flask reference gives.
"""
