"""Test settings: real PostgreSQL and Redis, fast hashing, tasks run eagerly."""

import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/regulator")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

# Under pytest-xdist each worker (gw0, gw1, ...) gets its own Redis database, counting down from the one
# given (pytest-django already gives each worker its own PostgreSQL test database).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit():
    _base, _sep, _db = os.environ["REDIS_URL"].rpartition("/")
    if _db.isdigit():
        os.environ["REDIS_URL"] = f"{_base}/{max(int(_db) - int(_worker[2:]), 0)}"

# TEST_STORAGE=s3 (make test's storage run): the default storage is the S3 server at TEST_S3_ENDPOINT_URL
# (moto's, started by tests/ops/servers.py), one bucket per xdist worker, created by tests/conftest.py.
if os.environ.get("TEST_STORAGE") == "s3":
    os.environ["S3_BUCKET"] = f"regulator-test-{_worker or 'main'}"
    os.environ["S3_ENDPOINT_URL"] = os.environ["TEST_S3_ENDPOINT_URL"]
    os.environ.setdefault("S3_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("S3_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("S3_REGION", "us-east-1")
else:
    os.environ.pop("S3_BUCKET", None)

from .base import *  # noqa: E402,F403
from .base import BASE_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = Path(os.environ.get("TEST_MEDIA_ROOT", BASE_DIR / "var" / "test-media"))
if S3_BUCKET:  # noqa: F405
    _default_storage = STORAGES["default"]  # noqa: F405
elif os.environ.get("TEST_STORAGE") == "fs":  # the gunicorn behind nginx in tests/ops/test_nginx.py
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The tests read what a view sends; the signed-URL and X-Accel ways are tests/ops' own (TEST_FILE_SERVING is
# that of the gunicorn behind nginx in tests/ops/test_nginx.py).
FILE_SERVING = os.environ.get("TEST_FILE_SERVING", "stream")
AXES_FAILURE_LIMIT = 3
# The tests clear Redis between tests, which a process's copy of the public pages would not notice: off, except
# in the tests of that copy (tests/publicity/test_public_cache.py).
PUBLIC_PAGE_LOCAL_SECONDS = 0
REGION_CHOICES_LOCAL_SECONDS = 0  # likewise the register's region choices (institutions/filters.py)
AUDIT_HMAC_KEY = "test-audit-hmac-key"
AUDIT_REQUIRE_REGISTERED_KINDS = True
