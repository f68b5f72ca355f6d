"""The /api/v1 contract: what every backend must agree on, and nothing else.

Schemas (one module per resource), errors and their messages, request parsing,
pagination and cursors, and the pure business rules (permissions, allowances,
notification recipients, moderation transitions, cashtag and mention parsing).
No web framework, ORM or database driver is imported here (``lint-imports``
enforces it), so the Flask app, the FastAPI, Django and raw adapters and the
benchmark can all depend on it. See docs/ARCHITECTURE.md.
"""
