"""The forum app: unmanaged models of the shared tables and the /api/v1 views."""
