#!/usr/bin/env bash
# `make load`: gunicorn + PostgreSQL + Redis + one rq worker on 127.0.0.1, the demo
# county loaded, then bench/load_users.py (50 users, 60 s by default). The database in
# LOAD_DATABASE_URL is emptied and refilled: never point it at real data.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_DATABASE_URL:?set LOAD_DATABASE_URL to a scratch PostgreSQL database}"
: "${LOAD_REDIS_URL:=redis://127.0.0.1:6379/0}"
PORT="${LOAD_PORT:-5098}"
export FLASK_APP=crm DATABASE_URL="$LOAD_DATABASE_URL" REDIS_URL="$LOAD_REDIS_URL"
export RATELIMIT_LOGIN="${RATELIMIT_LOGIN:-1000 per minute}"   # 50 sign-ins from one address
export METRICS_CACHE_SECONDS=60 SECRET_KEY=load-test-only
PY=.venv/bin/python

$PY - <<'PY'
import os
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
with engine.begin() as conn:
    conn.execute(text("DROP SCHEMA public CASCADE"))
    conn.execute(text("CREATE SCHEMA public"))
PY
.venv/bin/flask db upgrade >/dev/null
.venv/bin/flask crm demo >/dev/null

# The access log records each request's server time (%(D)s, microseconds).
ACCESS_LOG=$(mktemp /tmp/crm-load-access.XXXXXX)
.venv/bin/gunicorn -w "${LOAD_WORKERS:-4}" --threads 2 -b "127.0.0.1:$PORT" --timeout 60 \
  --log-level warning --access-logfile "$ACCESS_LOG" \
  --access-logformat '%(m)s %(U)s %(s)s %(D)s' 'crm.wsgi:app' &
web=$!
$PY worker.py >/tmp/crm-load-worker.log 2>&1 &
worker=$!
trap 'kill "$web" "$worker" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done
$PY bench/load_users.py --base "http://127.0.0.1:$PORT" --users "${LOAD_USERS:-50}" \
  --seconds "${LOAD_SECONDS:-60}" --think "${LOAD_THINK:-2,6}" --ramp "${LOAD_RAMP:-15}" \
  --server-log "$ACCESS_LOG"
