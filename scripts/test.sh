#!/usr/bin/env bash
# Runs the whole test suite. PostgreSQL and Redis are used when reachable:
# TEST_DATABASE_URL / TEST_REDIS_URL, or the local defaults below; otherwise the tests
# that need them are skipped with the reason (and fail when CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if [ -z "${TEST_DATABASE_URL:-}" ] && $PY -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/test', connect_timeout=2).close()" 2>/dev/null; then
  export TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
fi
if [ -z "${TEST_REDIS_URL:-}" ] && $PY -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then
  export TEST_REDIS_URL=redis://127.0.0.1:6379/15
fi
echo ">> PostgreSQL: ${TEST_DATABASE_URL:-not used}   Redis: ${TEST_REDIS_URL:-not used}"
# Both cores: pytest-xdist, each worker on its own database and Redis db (tests/conftest.py).
exec $PY -m pytest -n "${TEST_WORKERS:-auto}" "$@"
