#!/usr/bin/env bash
# `make load`: gunicorn + PostgreSQL + Redis + one rq worker on 127.0.0.1, the demo
# county loaded, then bench/load_users.py (50 users, 60 s by default). The database in
# LOAD_DATABASE_URL is emptied and refilled: never point it at real data.
#
# LOAD_KEEP_DATA=1: use LOAD_DATABASE_URL as it is (a database seeded before, e.g. by
# `flask crm seed --scale henan`): not emptied, only upgraded; the simulated users sign
# in as many different people of the data (password crm-demo), not the five demo
# accounts. LOAD_SCALE=henan means LOAD_KEEP_DATA=1 with the issue-19 defaults: 200
# users arriving over 30 s, 2–6 s think, 120 s.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_DATABASE_URL:?set LOAD_DATABASE_URL to a scratch PostgreSQL database}"
: "${LOAD_REDIS_URL:=redis://127.0.0.1:6379/0}"
PORT="${LOAD_PORT:-5098}"
if [ "${LOAD_SCALE:-}" = henan ]; then
  LOAD_KEEP_DATA=1
  : "${LOAD_USERS:=200}" "${LOAD_RAMP:=30}" "${LOAD_SECONDS:=120}"
fi
KEEP="${LOAD_KEEP_DATA:-0}"
export FLASK_APP=crm DATABASE_URL="$LOAD_DATABASE_URL" REDIS_URL="$LOAD_REDIS_URL"
export RATELIMIT_LOGIN="${RATELIMIT_LOGIN:-1000 per minute}"   # 50 sign-ins from one address
export METRICS_CACHE_SECONDS=60 SECRET_KEY=load-test-only
PY=.venv/bin/python

ACCOUNTS=""
if [ "$KEEP" = 1 ]; then
  .venv/bin/flask db upgrade >/dev/null
  # Who signs in: up to LOAD_USERS people per role, spread over the whole data set.
  ACCOUNTS=$(mktemp /tmp/crm-load-accounts.XXXXXX)
  LOAD_ACCOUNTS="$ACCOUNTS" LOAD_PER_ROLE="${LOAD_USERS:-50}" $PY - <<'PY'
import os
import sys
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
n = int(os.environ["LOAD_PER_ROLE"])
with engine.connect() as conn:
    if not conn.execute(text("SELECT count(*) FROM enterprises")).scalar():
        sys.exit("LOAD_KEEP_DATA: the database has no enterprises; seed it first "
                 "(flask crm seed --scale henan)")
    rows = conn.execute(text(
        "SELECT role, username FROM (SELECT r.role, u.username, row_number() OVER ("
        " PARTITION BY r.role ORDER BY md5(u.username)) AS k FROM users u"
        " JOIN user_roles r ON r.user_id = u.id WHERE u.is_active"
        " AND r.role IN ('commissioner', 'leader', 'handler', 'coordinator', 'admin')) t"
        " WHERE k <= :n ORDER BY role, k"), {"n": n}).all()
with open(os.environ["LOAD_ACCOUNTS"], "w", encoding="utf-8") as out:
    out.writelines(f"{role}\t{username}\n" for role, username in rows)
print(f"signing in as {len(rows)} accounts of the seeded data")
PY
else
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
fi

# The access log records each request's server time (%(D)s, microseconds).
ACCESS_LOG=$(mktemp /tmp/crm-load-access.XXXXXX)
.venv/bin/gunicorn -w "${LOAD_WORKERS:-4}" --threads 2 -b "127.0.0.1:$PORT" --timeout 60 \
  --log-level warning --access-logfile "$ACCESS_LOG" \
  --access-logformat '%(m)s %(U)s %(s)s %(D)s' 'crm.wsgi:app' &
web=$!
$PY worker.py >/tmp/crm-load-worker.log 2>&1 &
worker=$!
trap 'kill "$web" "$worker" 2>/dev/null || true; [ -z "$ACCOUNTS" ] || rm -f "$ACCOUNTS"' EXIT INT TERM
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done
$PY bench/load_users.py --base "http://127.0.0.1:$PORT" --users "${LOAD_USERS:-50}" \
  --seconds "${LOAD_SECONDS:-60}" --think "${LOAD_THINK:-2,6}" --ramp "${LOAD_RAMP:-15}" \
  --server-log "$ACCESS_LOG" ${ACCOUNTS:+--accounts "$ACCOUNTS"}
