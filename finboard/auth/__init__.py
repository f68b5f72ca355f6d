"""Registration, login and logout (server-rendered, Flask-Login sessions)."""
