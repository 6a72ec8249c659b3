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

.PHONY: demo test bench bench-oversight bench-funds lint messages services venv clean-demo

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

# make test runs the suite, then the tests of stored files again with the default storage on moto's S3 server,
# then the read-replica tests on a primary and streaming replica of their own (tests/ops/servers.py starts moto
# and the two clusters unless TEST_S3_ENDPOINT_URL / TEST_REPLICA_PRIMARY_URL+TEST_REPLICA_URL are given, and
# stops what it started, also when a run fails or is interrupted). OPS_RUNS=0 runs the suite only.
STORAGE_TESTS ?= tests/regulator/test_uploads.py tests/institutions/test_import.py tests/penalties/test_pdf.py \
	tests/penalties/test_evidence_files.py tests/publicity/test_report_photos.py tests/inspections/test_evidence.py \
	tests/regulator/test_weekly.py
REPLICA_TESTS ?= tests/ops/test_replica.py
OPS_RUNS ?= 1
SERVERS_ENV := var/test-servers.env

test: $(STAMP) messages services
	$(VENV)/bin/lint-imports --no-cache
	@mkdir -p var
	@trap '$(PY) -m tests.ops.servers stop $(SERVERS_ENV)' EXIT; \
	$(PY) -m tests.ops.servers start $(SERVERS_ENV) && set -a && . ./$(SERVERS_ENV) && set +a && \
	export REDIS_URL=$(TEST_REDIS_URL) DJANGO_ALLOW_ASYNC_UNSAFE=true && \
	echo "== the suite" && DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS) && \
	if [ "$(OPS_RUNS)" != 0 ]; then \
		echo "== stored files on the S3 server ($$TEST_S3_ENDPOINT_URL)" && \
		DATABASE_URL=$(TEST_DATABASE_URL) TEST_STORAGE=s3 $(PY) -m pytest -q -n 0 $(STORAGE_TESTS) && \
		echo "== the read replica ($$TEST_REPLICA_URL of $$TEST_REPLICA_PRIMARY_URL)" && \
		DATABASE_URL=$$TEST_REPLICA_PRIMARY_URL REPLICA_DATABASE_URL=$$TEST_REPLICA_URL \
			$(PY) -m pytest -q -n 0 $(REPLICA_TESTS); \
	fi

bench: $(STAMP) messages services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.run --institutions $(BENCH_INSTITUTIONS) $(BENCH_ARGS)

bench-oversight: $(STAMP) messages services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.queue $(OVERSIGHT_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.oversight $(OVERSIGHT_ARGS)

# The statement import against python-calamine (bench/funds.py); needs no seeded register, under 3 minutes.
bench-funds: $(STAMP) messages services
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.run --suite funds --institutions 0 \
		--output bench/results-funds.json $(BENCH_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
