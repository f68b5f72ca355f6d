# FinBoard: the same install steps as the README, in two stages.
# Build: docker build -t finboard .
# Run:   docker run -p 5000:5000 -e SECRET_KEY=... -e DATABASE_URL=postgresql+psycopg://... -e REDIS_URL=redis://... finboard
# Worker (the background jobs, README "Background jobs"), same image and environment:
#        docker run -e SECRET_KEY=... -e DATABASE_URL=postgresql+psycopg://... --entrypoint flask finboard worker
# (No Docker engine runs on the development machines: this file is kept true
#  to the README by using exactly its commands, not built in CI.)

# The database, for those who run PostgreSQL in a container too: PostgreSQL 15 with the rum
# extension (migration 0019 builds the RUM index of newest-first search with it, and falls back
# to GIN without). Build it with: docker build --target database -t finboard-db .
FROM postgres:15-bookworm AS database
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-rum \
    && rm -rf /var/lib/apt/lists/*

FROM python:3.11-slim AS build
WORKDIR /app
# README step 1: a virtual environment with the pinned runtime set only
# (requirements.txt; the adapters, bench, tests and tooling are requirements-dev.txt).
RUN python3 -m venv /app/.venv
COPY requirements.txt .
RUN /app/.venv/bin/pip install --no-cache-dir -r requirements.txt

FROM python:3.11-slim AS runtime
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FINBOARD_ENV=production \
    BIND=0.0.0.0:5000
RUN useradd --create-home --uid 10001 finboard
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# The forum only: backends/ (the FastAPI and Django adapters) needs the extras this image does not install.
COPY --chown=finboard:finboard finboard ./finboard
COPY --chown=finboard:finboard migrations ./migrations
COPY --chown=finboard:finboard cli.py wsgi.py gunicorn.conf.py pyproject.toml ./
RUN mkdir -p /app/instance && chown finboard:finboard /app/instance
USER finboard
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python3", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=2).status == 200 else 1)"]
# README step 2 (production): migrate, then gunicorn with gunicorn.conf.py.
ENTRYPOINT ["sh", "-c", "flask db upgrade && exec gunicorn wsgi:app"]
