"""The /api/v1 routers (mounted under api_contract.API_PREFIX by main.create_app)."""
