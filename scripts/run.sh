#!/usr/bin/env bash
# Brings the app up on http://127.0.0.1:5000 with SQLite and demo data, and an rq
# worker when Redis is reachable (REDIS_URL, or a local Redis on 127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=crm
PY=.venv/bin/python

if [ -z "${REDIS_URL:-}" ] && $PY -c "import redis,sys; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then
  export REDIS_URL=redis://127.0.0.1:6379/0
fi

.venv/bin/flask db upgrade
.venv/bin/flask crm demo

worker_pid=""
if [ -n "${REDIS_URL:-}" ]; then
  echo ">> Redis at $REDIS_URL: starting an rq worker"
  $PY worker.py &
  worker_pid=$!
  trap '[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null || true' EXIT INT TERM
else
  echo ">> no Redis: background jobs run inline"
fi
echo ">> open http://127.0.0.1:${PORT:-5000} (sign in as admin, coordinator, leader, commissioner or handler; password crm-demo)"
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
