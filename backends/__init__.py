"""The FastAPI and Django adapters of /api/v1 (the Flask one is finboard.api)."""
