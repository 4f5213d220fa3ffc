# The two Quick start commands (`make run`, `make test`) and a few helpers.
.PHONY: install run test worker bench load i18n migrate clean

STAMP := .venv/.installed

$(STAMP): setup.cfg scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $(STAMP)

install: $(STAMP)

## Bring the app up on http://127.0.0.1:5000 with SQLite and demo data.
run: install
	.venv/bin/python scripts/i18n.py compile
	bash scripts/run.sh

## Run the whole test suite (PostgreSQL and Redis too when reachable).
test: install
	.venv/bin/python scripts/i18n.py compile
	bash scripts/test.sh $(PYTEST_ARGS)

## An rq worker (needs REDIS_URL).
worker: install
	.venv/bin/python worker.py

## The benchmark (README "Benchmark"): make bench
## BENCH_SCALE=county|province|county-large|henan (henan: PostgreSQL only)
BENCH_SCALE ?= county
bench: install
	.venv/bin/python scripts/i18n.py compile
	BENCH_SCALE=$(BENCH_SCALE) .venv/bin/python bench/run.py

## Load test: 50 users for 60 s against gunicorn + PostgreSQL + Redis + a worker on
## 127.0.0.1. LOAD_DATABASE_URL (a scratch database, emptied) is required;
## LOAD_SCALE=henan (or LOAD_KEEP_DATA=1) uses it as seeded, many accounts.
load: install
	.venv/bin/python scripts/i18n.py compile
	bash scripts/load.sh

## Re-extract messages into the Chinese catalogue and list what is untranslated.
i18n: install
	.venv/bin/python scripts/i18n.py update

## New Alembic revision from the models: make migrate m="what changed"
migrate: install
	FLASK_APP=crm .venv/bin/flask db migrate -m "$(m)"

clean:
	rm -rf .venv build instance/*.sqlite3 .pytest_cache
