"""The FastAPI adapter of /api/v1: routers and dependencies over finboard.core.

Answers every request with the same status and the same JSON bytes as the
Flask reference (finboard.api), so it may import nothing from finboard but
finboard.core — and never Flask.
"""
