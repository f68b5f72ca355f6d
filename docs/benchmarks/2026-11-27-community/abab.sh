#!/bin/bash
# Before (942c6cc) and after (HEAD) Flask side by side on one database, wrk alternating A/B per path:
# drift and noise hit both equally, so the per-round ratio is the measurement.
# Usage: BEFORE=/path/to/old/checkout AFTER=/path/to/new/checkout DB=postgresql://… abab.sh
# (DB: migrated to the newer schema and seeded, e.g. flask seed --users 1000 --posts 10000 --comments 30000).
set -u
BEFORE=${BEFORE:-/tmp/before} AFTER=${AFTER:-$(git rev-parse --show-toplevel)}
DB=${DB:-postgresql://root@127.0.0.1/fb_after}
export SECRET_KEY=abab-secret-0123456789abcdef0123456789 CACHE_ENABLED=0 FINBOARD_ENV=production DATABASE_URL=$DB REDIS_URL=
(cd "$BEFORE" && exec python -m gunicorn wsgi:app --config backends/server_conf.py --workers 2 --bind 127.0.0.1:8101 >/tmp/abab-before.log 2>&1) &
(cd "$AFTER" && exec python -m gunicorn wsgi:app --config backends/server_conf.py --workers 2 --bind 127.0.0.1:8102 >/tmp/abab-after.log 2>&1) &
sleep 6
PATHS="/api/v1/posts /api/v1/posts?category=stocks /api/v1/posts?cashtag=AAPL /api/v1/posts/5 / /posts/5"
for p in $PATHS; do for port in 8101 8102; do curl -s -o /dev/null -w "%{http_code} " "http://127.0.0.1:$port$p"; wrk -t2 -c16 -d1s "http://127.0.0.1:$port$p" >/dev/null; done; done; echo
for round in 1 2 3; do
  for p in $PATHS; do
    b=$(wrk -t2 -c64 -d5s "http://127.0.0.1:8101$p" | awk '/Requests\/sec/ {print $2}')
    a=$(wrk -t2 -c64 -d5s "http://127.0.0.1:8102$p" | awk '/Requests\/sec/ {print $2}')
    echo "$round $p $b $a $(python -c "print(round($a/$b,2))")"
  done
done
pkill -f "bind 127.0.0.1:810[12]"
