"""The Flask adapter of /api/v1 (the reference the other backends must match)."""
