"""The /api/v1 routers (mounted under request_parsing.API_PREFIX by main.create_app)."""
