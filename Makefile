# One-command set-up: `make demo` (SQLite, no servers) and `make test` (PostgreSQL, Redis, Chromium).
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/regulator
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/regulator_bench
BENCH_INSTITUTIONS ?= 100000
# e.g. OVERSIGHT_ARGS="--visits 2000000 --orders 500000 --runs 10" (the issue's scale, after BENCH_INSTITUTIONS=1000000)
OVERSIGHT_ARGS ?=
# pytest-xdist workers (each has its own PostgreSQL test database and Redis db); 0 runs in one process
PYTEST_WORKERS ?= 2

.PHONY: demo test bench bench-oversight lint messages services venv clean-demo

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (python3.12 not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

demo: $(STAMP) messages
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py load_demo
	$(VENV)/bin/honcho -f Procfile.demo start

clean-demo:
	rm -rf var/regulator.sqlite3* var/broker var/celerybeat-schedule*

services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
		--save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done

test: $(STAMP) messages services
	$(VENV)/bin/lint-imports --no-cache
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(PY) -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(STAMP) messages services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.run --institutions $(BENCH_INSTITUTIONS) $(BENCH_ARGS)

bench-oversight: $(STAMP) messages services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.queue $(OVERSIGHT_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.oversight $(OVERSIGHT_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
