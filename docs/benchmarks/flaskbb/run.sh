#!/usr/bin/env bash
# Issue 19's side-by-side with FlaskBB 3.0.0rc5, end to end (README.md beside this file says why
# each step is done the way it is). Installs FlaskBB in a Python 3.12 venv, seeds FinBoard, copies
# its rows into FlaskBB through FlaskBB's models, serves both (and two /hello yardsticks) under one
# gunicorn configuration, verifies every page, measures them in alternating rounds and writes
# results.json, table.md and run.log into OUTPUT_DIR. Servers, Redis and both databases are
# removed on success and on failure.
#
#   flock /tmp/finboard-bench.lock docs/benchmarks/flaskbb/run.sh [OUTPUT_DIR]
#
# Environment: PY312 (a Python 3.12), PYTHON (FinBoard's interpreter, its requirements installed),
# FLASKBB_SPEC, FLASKBB_VENV (reuse a venv instead of a fresh one), DURATION, WARMUP, ROUNDS,
# CONNECTIONS, SEARCH_TERM, USERS/POSTS/COMMENTS, FLASKBB_SEARCH_BACKEND, FINBOARD_BENCH_PG_ADMIN,
# KEEP_WORK=1 (keep the work directory), VERIFY_ONLY=1 (check every page, measure nothing),
# PAUSE=SECONDS (leave everything up that long before cleaning up, to look at it).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
OUT=$(mkdir -p "${1:-$HERE/$(date -u +%Y-%m-%d)}" && cd "${1:-$HERE/$(date -u +%Y-%m-%d)}" && pwd)
PY312=${PY312:-/root/.pyenv/versions/3.12.1/bin/python3}
PYTHON=${PYTHON:-python3}
FLASKBB_SPEC=${FLASKBB_SPEC:-"flaskbb[postgres,gunicorn]==3.0.0rc5"}
PG_ADMIN=${FINBOARD_BENCH_PG_ADMIN:-postgresql://root@127.0.0.1:5432/postgres}
PG_BASE=${PG_ADMIN%/*}
USERS=${USERS:-100} POSTS=${POSTS:-10000} COMMENTS=${COMMENTS:-30000}
ANCHOR=2026-11-01  # finboard.bench.database.SEED_ANCHOR: the same rows on every run

WORK=$(mktemp -d /tmp/flaskbb-side.XXXXXX)
TAG=$(basename "$WORK" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
FIN_DB=fbside_finboard_$TAG
BB_DB=fbside_flaskbb_$TAG
REDIS_PID=""
STARTED=$(date +%s)
exec > >(tee "$OUT/run.log") 2>&1

log() { printf '[%4ss] %s\n' "$(($(date +%s) - STARTED))" "$*"; }

cleanup() {
  local status=$?
  set +e
  if [ -n "${PAUSE:-}" ]; then log "pausing $PAUSE s before cleaning up (PAUSE)"; sleep "$PAUSE"; fi
  log "cleaning up (exit status $status)"
  for pidfile in "$WORK"/*.pid; do
    [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null
  done
  for _ in $(seq 1 30); do
    alive=0
    for pidfile in "$WORK"/*.pid; do
      [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pidfile in "$WORK"/*.pid; do
    [ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
  done
  if [ "$status" != 0 ]; then
    for server_log in "$WORK"/*.log; do
      case "$server_log" in */pip.log) ;; *) echo "--- tail of $server_log"; tail -n 15 "$server_log";; esac
    done
  fi
  log "servers stopped"
  [ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null
  for db in "$FIN_DB" "$BB_DB"; do
    psql "$PG_ADMIN" -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
  done
  if [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() {  # URL: until it answers 200 (60 s)
  for _ in $(seq 1 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
    sleep 0.5
  done
  echo "run.sh: $1 never answered 200" >&2
  return 1
}

start() {  # NAME DIR CMD...: a server in the background, its pid in $WORK/NAME.pid
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && exec "$@") >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
}

for tool in wrk psql redis-server redis-cli curl "$PY312"; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
(cd "$REPO" && "$PYTHON" -c "import finboard, gunicorn, psutil, psycopg") \
  || { echo "run.sh: $PYTHON lacks FinBoard's requirements (pip install -r requirements-dev.txt)" >&2; exit 1; }
log "work directory $WORK; output $OUT"

# 1. FlaskBB in a Python 3.12 venv.
if [ -n "${FLASKBB_VENV:-}" ] && [ -x "$FLASKBB_VENV/bin/flaskbb" ]; then
  VENV=$FLASKBB_VENV
  log "reusing the FlaskBB venv $VENV"
else
  VENV=${FLASKBB_VENV:-$WORK/venv}
  log "installing $FLASKBB_SPEC into $VENV ($("$PY312" --version))"
  "$PY312" -m venv "$VENV"
  if ! "$VENV/bin/pip" install --disable-pip-version-check "$FLASKBB_SPEC" >"$WORK/pip.log" 2>&1; then
    tail -n 30 "$WORK/pip.log"
    echo "run.sh: pip could not install $FLASKBB_SPEC (above)" >&2
    exit 1
  fi
fi
"$VENV/bin/pip" freeze --disable-pip-version-check >"$OUT/flaskbb-venv-freeze.txt"
# FlaskBB's default logging writes to <site-packages>/logs, which the wheel does not create: without it
# every flaskbb command fails with "Unable to configure handler 'errorlog'".
mkdir -p "$("$VENV/bin/python" -c 'import flaskbb, os; print(os.path.dirname(os.path.dirname(flaskbb.__file__)))')/logs"
if "$VENV/bin/python" -c "import psycopg2" 2>/dev/null; then DRIVER=postgresql; else DRIVER=postgresql+psycopg; fi

# 2. One private Redis for both boards (FlaskBB: db 0, FinBoard's cache: db 1), nothing shared.
REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >"$WORK/redis.out" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
BB_PORT=$(free_port) CACHED_PORT=$(free_port) UNCACHED_PORT=$(free_port)
HELLO_FIN_PORT=$(free_port) HELLO_BB_PORT=$(free_port)

# 3. FinBoard: migrated and seeded by its own commands (the bench's anchor, no demo extras).
psql "$PG_ADMIN" -qAtc "CREATE DATABASE \"$FIN_DB\"" >/dev/null
psql "$PG_ADMIN" -qAtc "CREATE DATABASE \"$BB_DB\"" >/dev/null
FIN_URL="postgresql+psycopg://${PG_BASE#postgresql://}/$FIN_DB"
SECRET=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')
log "FinBoard: flask db upgrade; flask seed --users $USERS --posts $POSTS --comments $COMMENTS"
(cd "$REPO" && DATABASE_URL=$FIN_URL SECRET_KEY=$SECRET "$PYTHON" -m flask --app wsgi db upgrade >"$WORK/finboard-setup.log" 2>&1)
(cd "$REPO" && DATABASE_URL=$FIN_URL SECRET_KEY=$SECRET "$PYTHON" -m flask --app wsgi seed --users "$USERS" \
  --posts "$POSTS" --comments "$COMMENTS" --no-demo --anchor "$ANCHOR" --quiet)
psql "$PG_BASE/$FIN_DB" -qAtc "VACUUM ANALYZE"

# 4. FlaskBB: its makeconfig (answers on stdin), its install, the copy, its reindex.
BB_URL="$DRIVER://${PG_BASE#postgresql://}/$BB_DB"
log "FlaskBB: makeconfig, install, seed_flaskbb.py, reindex ($BB_URL)"
{
  printf '%s\n' "127.0.0.1:$BB_PORT" n "$BB_URL" y "redis://127.0.0.1:$REDIS_PORT/0"
  for _ in $(seq 1 30); do echo; done  # the mail and logging questions: their defaults
} | (cd "$WORK" && "$VENV/bin/flaskbb" makeconfig --force --output "$WORK/flaskbb.cfg" >"$WORK/makeconfig.log" 2>&1)
for expected in "SERVER_NAME = \"127.0.0.1:$BB_PORT\"" "SQLALCHEMY_DATABASE_URI = \"$BB_URL\"" \
  "REDIS_ENABLED = True" "REDIS_URL = \"redis://127.0.0.1:$REDIS_PORT/0\"" "SESSION_COOKIE_SECURE = False" "DEBUG = False"; do
  grep -qF "$expected" "$WORK/flaskbb.cfg" \
    || { tail -n 20 "$WORK/makeconfig.log"; echo "run.sh: flaskbb.cfg lacks: $expected" >&2; exit 1; }
done
# FlaskBB's PostgreSQL full-text backend (its Docker config's default) instead of the template's "sql"
# (ILIKE scans): FinBoard searches with PostgreSQL full-text too. Set before install: create_all adds its
# tsvector columns and GIN indexes.
printf '\n# run.sh: search with PostgreSQL full-text, like FinBoard\nSEARCH_BACKEND = "%s"\n' \
  "${FLASKBB_SEARCH_BACKEND:-postgresql}" >>"$WORK/flaskbb.cfg"
ADMIN_PASSWORD=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(16))')
(cd "$WORK" && "$VENV/bin/flaskbb" --config "$WORK/flaskbb.cfg" install --force --username admin \
  --email admin@example.org --password "$ADMIN_PASSWORD" </dev/null >"$WORK/install.log" 2>&1) \
  || { tail -n 30 "$WORK/install.log"; echo "run.sh: flaskbb install failed" >&2; exit 1; }
(cd "$WORK" && "$VENV/bin/python" "$HERE/seed_flaskbb.py" --config "$WORK/flaskbb.cfg" \
  --source "$DRIVER://${PG_BASE#postgresql://}/$FIN_DB")
(cd "$WORK" && "$VENV/bin/flaskbb" --config "$WORK/flaskbb.cfg" reindex >"$WORK/reindex.log" 2>&1) \
  || { tail -n 30 "$WORK/reindex.log"; echo "run.sh: flaskbb reindex failed" >&2; exit 1; }
psql "$PG_BASE/$BB_DB" -qAtc "VACUUM ANALYZE"

# 5. Five servers, one gunicorn configuration (gunicorn_conf.py).
CONF="$HERE/gunicorn_conf.py"
# FlaskBB under gunicorn with a WSGI module, as its deployment docs have it. Not `flaskbb serve`: that
# command forks gunicorn inside the CLI's app context, so every request of a worker shares one `g` (the
# first visitor's CSRF token, the logged-in user): new visitors get no session cookie and its forms fail.
printf 'from flaskbb import create_app\n\napp = create_app(config=%s)\n' "'$WORK/flaskbb.cfg'" >"$WORK/flaskbb_wsgi.py"
start flaskbb "$WORK" "$VENV/bin/gunicorn" -c "$CONF" -b "127.0.0.1:$BB_PORT" flaskbb_wsgi:app
FIN_ENV=(DATABASE_URL="$FIN_URL" SECRET_KEY="$SECRET" FINBOARD_ENV=production GUNICORN_LOGLEVEL=warning)
start finboard-cached "$REPO" env "${FIN_ENV[@]}" CACHE_ENABLED=1 REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1" \
  "$PYTHON" -m gunicorn -c "$CONF" -b "127.0.0.1:$CACHED_PORT" wsgi:app
start finboard-uncached "$REPO" env "${FIN_ENV[@]}" CACHE_ENABLED=0 REDIS_URL= \
  "$PYTHON" -m gunicorn -c "$CONF" -b "127.0.0.1:$UNCACHED_PORT" wsgi:app
start hello-finboard "$HERE" "$PYTHON" -m gunicorn -c "$CONF" -b "127.0.0.1:$HELLO_FIN_PORT" hello:app
start hello-flaskbb "$HERE" "$VENV/bin/gunicorn" -c "$CONF" -b "127.0.0.1:$HELLO_BB_PORT" hello:app
for port in "$BB_PORT" "$CACHED_PORT" "$UNCACHED_PORT"; do wait_http "http://127.0.0.1:$port/"; done
for port in "$HELLO_FIN_PORT" "$HELLO_BB_PORT"; do wait_http "http://127.0.0.1:$port/hello"; done
"$PYTHON" - "$WORK" <<EOF
import json, sys
work = sys.argv[1]
servers = {name: {"url": f"http://127.0.0.1:{port}", "pidfile": f"{work}/{name}.pid"} for name, port in
           {"flaskbb": $BB_PORT, "finboard-cached": $CACHED_PORT, "finboard-uncached": $UNCACHED_PORT,
            "hello-finboard": $HELLO_FIN_PORT, "hello-flaskbb": $HELLO_BB_PORT}.items()}
json.dump(servers, open(f"{work}/servers.json", "w"), indent=2)
EOF

# 6. What ran, then the measurement.
version() { "$1" -c "import importlib.metadata as m; print(m.version('$2'))"; }
"$PYTHON" - >"$WORK/meta.json" <<EOF
import json, platform
print(json.dumps({
    "date_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "finboard_commit": "$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- finboard || echo '+dirty')",
    "flaskbb_spec": "$FLASKBB_SPEC", "flaskbb_version": "$(version "$VENV/bin/python" flaskbb)",
    "finboard_python": "$("$PYTHON" -c 'import platform; print(platform.python_version())')",
    "flaskbb_python": "$("$VENV/bin/python" -c 'import platform; print(platform.python_version())')",
    "gunicorn": {"finboard": "$(version "$PYTHON" gunicorn)", "flaskbb": "$(version "$VENV/bin/python" gunicorn)"},
    "flask": {"finboard": "$(version "$PYTHON" flask)", "flaskbb": "$(version "$VENV/bin/python" flask)"},
    "wrk": "$(wrk -v 2>&1 | head -n 1)", "postgresql": "$(psql "$PG_ADMIN" -qAtc 'SHOW server_version')",
    "redis": "$(redis-server --version | head -n 1)", "machine": platform.platform(),
    "seed": {"users": $USERS, "posts": $POSTS, "comments": $COMMENTS, "anchor": "$ANCHOR"},
    "setup_s": $(($(date +%s) - STARTED)),
}))
EOF
log "servers up; measuring"
"$PYTHON" "$HERE/measure.py" --servers "$WORK/servers.json" --finboard-db "$PG_BASE/$FIN_DB" \
  --flaskbb-db "$PG_BASE/$BB_DB" --out "$OUT" --meta "$WORK/meta.json" --search-term "${SEARCH_TERM:-safety}" \
  --duration "${DURATION:-8}" --warmup "${WARMUP:-2}" --rounds "${ROUNDS:-3}" --connections "${CONNECTIONS:-32}" \
  ${VERIFY_ONLY:+--verify-only}
log "done in $(($(date +%s) - STARTED)) s"
