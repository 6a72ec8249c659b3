"""Settings read from the environment, with defaults that run on a laptop (SQLite, no servers)."""

import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "regulator.devserver",  # before staticfiles: its runserver answers over-long requests in Chinese
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "guardian",
    "axes",
    "regulator",
    "institutions",
    "institutions.funds",  # course and fee filing, supervised fund accounts and alerts, risk levels (label funds)
    "inspections",
    "penalties",
    "publicity",
    # Above the apps: fed by what each app registers in its ready() (regulator/registry.py).
    "regulator.oversight",
    "regulator.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "regulator.observability.RequestIdMiddleware",
    "regulator.db_router.ReplicaReadsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "regulator.middleware.PermissionsPolicyMiddleware",
    "regulator.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "regulator.middleware.ForbiddenLogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "regulator.urls"
WSGI_APPLICATION = "regulator.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% extends %} and {% include %} that keep the template they load (regulator/templatetags/kept.py)
            "builtins": ["regulator.templatetags.kept"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "regulator.oversight.context_processors.nav_counts",
                "publicity.context_processors.public_site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'regulator.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite cannot make NULLs equal in a unique constraint (penalties.CaseDocument's once-per-record rule): that
    # constraint is PostgreSQL's backstop; on the demo's SQLite writers are serialised (IMMEDIATE transactions)
    # and the issuing service looks for the document first.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Chinese trigram search needs a UTF-8 LC_CTYPE (docs/pitfalls.md): build test databases from template0.
    DATABASES["default"]["TEST"] = {"TEMPLATE": "template0", "CHARSET": "UTF8"}
else:
    # The demo's SQLite takes concurrent writers (an inspector's quick taps, a worker, a second chaser): every
    # transaction takes the write lock when it begins (IMMEDIATE), so a writer waits up to `timeout` seconds for
    # another instead of failing at once with "database is locked" when a deferred read upgrades to a write.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("SQLITE_TIMEOUT", "30")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A streaming replica of the primary (regulator/db_router.py): the public site, open data, the dashboard and the
# ledger exports read from it when it is set and at most REPLICA_MAX_LAG_SECONDS behind; all else reads and
# writes the primary. Without REPLICA_DATABASE_URL every read goes to `default`.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
    # A replica that is down costs a page two seconds once per lag check, not a hung worker.
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    # Tests read the primary's test database through the replica's server (it replicates the whole cluster).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["regulator.db_router.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5"))
REPLICA_LAG_CHECK_SECONDS = float(os.environ.get("REPLICA_LAG_CHECK_SECONDS", "2"))
# The views (URL names) whose GET may read from the replica. Not the report form's tracking page: a reporter
# looks up the report of a moment ago, which a replica may not have yet.
REPLICA_READ_VIEWS = frozenset({
    "publicity:public_home", "publicity:white_list", "publicity:black_list", "publicity:typical_cases",
    "publicity:institution_page", "publicity:batch_list", "publicity:batch_detail", "publicity:batch_json",
    "publicity:spot_checks", "publicity:spot_check_detail", "publicity:open_data_json",
    "publicity:open_data_csv", "publicity:openapi", "publicity:public_search",
    "open-data:entries", "open-data:institutions", "open-data:spot_checks",
    "dashboard", "ledger", "export_ledger", "institutions:export",
})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "regulator.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "regulator.backends.StaffBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Where each role lands after signing in (regulator.views.home): an inspector on today's visits, a head on the
# queue, the joint office on the dashboard; anyone else (administrators) on the register.
LANDING_BY_ROLE = {
    "inspector": "inspections:today",
    "head": "queue",
    "joint_office": "dashboard",
}
LANDING_DEFAULT = "institutions:list"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire: 8 hours of absolute life, and at browser close.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
# Sessions read from the cache (Redis), written through to the database: one query less on every staff page; the
# same read brings the navigation's version (regulator/sessions.py).
SESSION_ENGINE = "regulator.sessions"
# The navigation's counts are cached per user this long; every committed change of work invalidates them.
NAV_COUNTS_CACHE_SECONDS = int(os.environ.get("NAV_COUNTS_CACHE_SECONDS", "60"))
# A cached public page is served from the process's own copy for this long after the process last read the
# public version from Redis (publicity/cache.py): a publication shows in every worker within it. 0: always Redis.
PUBLIC_PAGE_LOCAL_SECONDS = float(os.environ.get("PUBLIC_PAGE_LOCAL_SECONDS", "1"))
# Likewise the register's region choices (institutions/filters.py): a region added elsewhere shows within this.
REGION_CHOICES_LOCAL_SECONDS = float(os.environ.get("REGION_CHOICES_LOCAL_SECONDS", "60"))

# The client's address (regulator/clientaddr.py), for login throttling, the report limit and the audit trail:
# REMOTE_ADDR unless the proxies in front are declared — their number (X-Forwarded-For is read that many entries
# from the right) and/or their networks (X-Forwarded-For is believed only from a peer inside them).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_PROXY_CIDRS = [
    str(ipaddress.ip_network(cidr, strict=False)) for cidr in env_list("TRUSTED_PROXY_CIDRS", "")
]  # a malformed network stops the start-up here rather than failing every request
# Throttle failed logins (django-axes, regulator/login_throttle.py): 5 failures lock the username whatever the
# addresses, and 5 failures from one address lock that address whatever the usernames, for 30 minutes; an
# administrator unlocks in the admin or with `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "regulator.login_throttle.LoginThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "regulator.clientaddr.client_ip"
AXES_LOCKOUT_CALLABLE = "regulator.login_throttle.lockout_response"

GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def s3_storage(bucket: str) -> dict:
    """Evidence, report photos, case evidence, import workbooks and generated PDFs in an S3-compatible object store
    (MinIO, Alibaba OSS, Tencent COS, Huawei OBS, AWS) through django-storages: every web and worker host reads
    the same files. The bucket stays private (no ACL is set on an object, so it inherits the bucket's private
    default); a file leaves only through regulator.uploads.file_response, after the view's permission check."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("S3_PREFIX", ""),
            "addressing_style": os.environ.get("S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("FILE_URL_SECONDS", "300")),
            # The file system's rule: a new file never replaces another of the same name.
            "file_overwrite": False,
        },
    }


S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = s3_storage(S3_BUCKET)
# How a stored file reaches the browser once its view has checked the permission (regulator/uploads.py):
# "stream" — this process reads the storage and sends the bytes (the demo and the tests);
# "signed-url" — a redirect to a URL of the object store signed for FILE_URL_SECONDS (S3 only);
# "x-accel" — an X-Accel-Redirect to FILE_ACCEL_PREFIX, an `internal` location of nginx (docs/deploy/nginx.conf)
# that serves MEDIA_ROOT, or proxies to the object store with the signed URL's path and query.
FILE_SERVING = os.environ.get("FILE_SERVING", "signed-url" if S3_BUCKET else "stream")
FILE_URL_SECONDS = int(os.environ.get("FILE_URL_SECONDS", "300"))
FILE_ACCEL_PREFIX = os.environ.get("FILE_ACCEL_PREFIX", "/_protected/")
# A request whose body is larger than this spools its files to disk (FILE_UPLOAD_TEMP_DIR) instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Form fields (not files) over 20 MB, more than 1,000 fields or 100 files in one request are refused with the
# Chinese 413 page (regulator.views.bad_request; a url-encoded body already from its Content-Length, in
# regulator.middleware.RequestLimitsMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Path plus query string, as sent (percent-encoded): longer is answered by the Chinese 414 page
# (regulator.middleware.RequestLimitsMiddleware). The front servers must let such a line through to say so in
# Chinese: gunicorn's --limit-request-line 0 (README, capped at 1 MB by its parser) and the dev server's 64 KB.
REQUEST_MAX_URL_BYTES = int(os.environ.get("REQUEST_MAX_URL_BYTES", "8192"))

# Content-Security-Policy (Django's own middleware): scripts and styles from this site only; the few inline
# <script> blocks carry the request's nonce ({{ csp_nonce }}), no inline event handler or style attribute is
# allowed. Images may be data:/blob: URLs (the signature pad and photo previews on the visit page).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}


def _signed_url_origin() -> str:
    """Where a signed file URL points (the object store's origin, seen by the browser), for the CSP below."""
    if os.environ.get("FILE_URL_ORIGIN"):
        return os.environ["FILE_URL_ORIGIN"]
    endpoint = urlsplit(os.environ.get("S3_ENDPOINT_URL", ""))
    if not endpoint.netloc:
        return "https://*.amazonaws.com"
    host = endpoint.netloc
    if os.environ.get("S3_ADDRESSING_STYLE", "path") == "virtual":
        host = f"{S3_BUCKET}.{host}"
    return f"{endpoint.scheme}://{host}"


if FILE_SERVING == "signed-url":
    # A photo shown in a page (<img src> of its checked view) is redirected there: let the page load it.
    SECURE_CSP["img-src"].append(_signed_url_origin())
    SECURE_CSP["media-src"].append(_signed_url_origin())

# Permissions-Policy (regulator.middleware.PermissionsPolicyMiddleware): the visit page uses the camera (photo
# evidence) and the position (start of a visit) on this site only; every other feature is off.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "geolocation": ["self"],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "midi": [],
    "magnetometer": [],
    "gyroscope": [],
    "accelerometer": [],
    "display-capture": [],
    "screen-wake-lock": [],
    "xr-spatial-tracking": [],
    "browsing-topics": [],
}
# regulator.uploads.StreamingLimitUploadHandler goes first: it stops keeping a file's bytes once they pass
# the limit of the file's kind, so an oversized upload never fills the disk or memory.
FILE_UPLOAD_HANDLERS = [
    "regulator.uploads.StreamingLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Limits per kind of uploaded file, in bytes, checked while the upload streams in and again before storing
# (regulator/uploads.py); a page may set a lower one (report photos, ledger workbooks, visit evidence).
UPLOAD_IMAGE_MAX_BYTES = 15 * 1024 * 1024
UPLOAD_VIDEO_MAX_BYTES = 200 * 1024 * 1024
UPLOAD_PDF_MAX_BYTES = 20 * 1024 * 1024
# Any other file (a ledger workbook): its own page checks it further.
UPLOAD_OTHER_MAX_BYTES = 20 * 1024 * 1024
# Decoded size cap of an image (width x height): 50 megapixels takes every phone's default photo; a
# decompression bomb (a 48 KB PNG of 20000 x 20000) is refused before it is decoded.
UPLOAD_IMAGE_MAX_PIXELS = 50_000_000

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Django's RedisCache with one pool and one client object per process (regulator/cache.py)
    CACHES = {"default": {"BACKEND": "regulator.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set, otherwise the filesystem broker (make demo, no servers).
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Longer than the longest task, so a running task is never handed to a second worker (docs/pitfalls.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Every task has a soft limit (SoftTimeLimitExceeded is raised inside it, so it can roll back and stop) and a hard
# one (the worker process is killed and replaced). PDFs, imports and the nightly jobs get longer ones. The Redis
# visibility timeout (6 h, above) stays longer than the longest hard limit, so no running task is redelivered.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "60"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "90"))
_LONG_TASK_LIMITS = {"soft_time_limit": 15 * 60, "time_limit": 16 * 60}
_BATCH_TASK_LIMITS = {"soft_time_limit": 2 * 3600, "time_limit": 2 * 3600 + 300}
CELERY_TASK_ANNOTATIONS = {
    "penalties.tasks.render_pdf": _LONG_TASK_LIMITS,
    "regulator.tasks.render_weekly_report": _LONG_TASK_LIMITS,
    "institutions.tasks.validate_import": _LONG_TASK_LIMITS,
    "institutions.tasks.run_import": {"soft_time_limit": 3600, "time_limit": 3600 + 120},
    "institutions.tasks.expire_licences": _LONG_TASK_LIMITS,
    "regulator.tasks.weekly_reports": _LONG_TASK_LIMITS,
    "regulator.tasks.refresh_institution_figures": _LONG_TASK_LIMITS,
    # The chasers and the nightly summary work through every open case of the country (≈ 16 min per 100,000
    # overdue orders, README): two hours, and the next night's run continues where this one stopped.
    "penalties.tasks.chase_deadlines": _BATCH_TASK_LIMITS,
    "publicity.tasks.chase_report_deadlines": _BATCH_TASK_LIMITS,
    "publicity.periodic.write_bulk_files": _BATCH_TASK_LIMITS,  # every county's files of every dataset
    "regulator.tasks.refresh_daily_figures": _BATCH_TASK_LIMITS,
}
# Queues by kind of work, so that worker hosts can be sized per kind (docs/operations.md): a long PDF batch or a
# 10,000-row import never holds up a notification mail. A worker started without -Q (the demo) consumes them all.
CELERY_QUEUE_NAMES = ("default", "pdf", "import", "chaser", "mail")
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in CELERY_QUEUE_NAMES]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
CELERY_TASK_ROUTES = {
    "penalties.tasks.render_pdf": {"queue": "pdf"},
    "regulator.tasks.render_weekly_report": {"queue": "pdf"},
    "regulator.tasks.weekly_reports": {"queue": "pdf"},
    "institutions.tasks.validate_import": {"queue": "import"},
    "institutions.tasks.run_import": {"queue": "import"},
    "penalties.tasks.chase_deadlines": {"queue": "chaser"},
    "publicity.tasks.chase_report_deadlines": {"queue": "chaser"},
    "institutions.tasks.expire_licences": {"queue": "chaser"},
    "regulator.tasks.refresh_daily_figures": {"queue": "chaser"},
    "regulator.tasks.refresh_institution_figures": {"queue": "chaser"},
    "regulator.tasks.audit_checkpoint": {"queue": "chaser"},
    "regulator.tasks.ensure_partitions": {"queue": "chaser"},
    "regulator.tasks.send_notification_email": {"queue": "mail"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# One beat process; every periodic job also takes an advisory lock (regulator.locks) so overlaps are harmless.
# The oversight floor's tasks (regulator/oversight/tasks.py) keep the names they had in regulator/tasks.py.
CELERY_BEAT_SCHEDULE = {
    "expire-licences-daily": {"task": "institutions.tasks.expire_licences", "schedule": crontab(hour=0, minute=30)},
    "sweep-register-campaigns-daily": {
        "task": "institutions.tasks.sweep_register_campaigns", "schedule": crontab(hour=0, minute=45)},
    "chase-deadlines-daily": {"task": "penalties.tasks.chase_deadlines", "schedule": crontab(hour=1, minute=0)},
    "chase-report-deadlines-daily": {
        "task": "publicity.tasks.chase_report_deadlines", "schedule": crontab(hour=1, minute=30)},
    "refresh-daily-figures": {
        "task": "regulator.tasks.refresh_daily_figures", "schedule": crontab(hour=2, minute=30)},
    "refresh-institution-figures": {
        "task": "regulator.tasks.refresh_institution_figures", "schedule": crontab(minute="*/10")},
    "audit-checkpoint-daily": {"task": "regulator.tasks.audit_checkpoint", "schedule": crontab(hour=3, minute=30)},
    # Next year's partitions months ahead (regulator.partitions): daily, so a missed run is harmless.
    "ensure-partitions-daily": {"task": "regulator.tasks.ensure_partitions", "schedule": crontab(hour=4, minute=0)},
    "fund-alerts-daily": {"task": "funds.periodic.compute_fund_alerts", "schedule": crontab(hour=2, minute=0)},
    "risk-levels-nightly": {"task": "funds.periodic.assess_risk_levels", "schedule": crontab(hour=2, minute=15)},
    "open-data-bulk-files-nightly": {
        "task": "publicity.periodic.write_bulk_files", "schedule": crontab(hour=3, minute=0)},
    "weekly-reports-friday": {
        "task": "regulator.tasks.weekly_reports", "schedule": crontab(hour=18, minute=0, day_of_week="fri")},
}

# The periodic tasks, whose last figures /metrics shows (regulator/observability.py).
CELERY_BEAT_TASKS = frozenset(entry["task"] for entry in CELERY_BEAT_SCHEDULE.values())

MAILERS = {"default": {"BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@regulator.local")

FILTERS_EMPTY_CHOICE_LABEL = _("全部")
REGISTER_PAGE_SIZE = 50
IMPORT_MAX_ROWS = 10_000
IMPORT_MAX_BYTES = 10 * 1024 * 1024
# Annual inspection (年检): this many 不合格 in a row propose revocation through a penalty case (verify locally).
ANNUAL_FAILS_FOR_REVOCATION = int(os.environ.get("ANNUAL_FAILS_FOR_REVOCATION", "2"))
# How far back a licence renewal's approval date may lie (a renewal recorded late; older ones are a new licence).
LICENCE_RENEWAL_BACKDATE_DAYS = int(os.environ.get("LICENCE_RENEWAL_BACKDATE_DAYS", "30"))
# What a ledger workbook may unpack to (its zip directory is read at upload): 10,000 rows take about 20 MB.
IMPORT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024

# LOG_FORMAT=json: one JSON object a line (regulator.observability.JsonFormatter) with the request id (X-Request-ID
# from nginx, or made here), the user id and department id of a staff request; nothing of a reporter's identity.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "regulator.observability.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "regulator.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "regulator.access": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

SITE_TITLE = _("校外培训机构协同监管平台")

# /healthz (the process answers), /readyz (database, replica, Redis, broker, storage) and /metrics (Prometheus
# text) answer only these networks (the load balancer, the monitoring host), or a request with
# `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets 404 (regulator/observability.py).
OPS_ALLOWED_CIDRS = [
    str(ipaddress.ip_network(cidr, strict=False)) for cidr in env_list("OPS_ALLOWED_CIDRS", "127.0.0.1/32,::1/128")
]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# The key of the audit trail's HMAC chains (regulator.audit, docs/audit.md): kept in the environment, never in the
# database. This default is for a laptop only; production settings refuse to start without AUDIT_HMAC_KEY.
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", "dev-only-audit-hmac-key-not-for-production")
# Refuse (instead of logging) an audit kind that no app registered; on wherever DEBUG is, and in tests.
AUDIT_REQUIRE_REGISTERED_KINDS = env_bool("AUDIT_REQUIRE_REGISTERED_KINDS", DEBUG)

# The dashboard summary's covering index (regulator.DailyFigure) has INCLUDE columns, which SQLite (the demo's
# database) ignores: it is still an index there, only not an index-only one.
SILENCED_SYSTEM_CHECKS = ["models.W040"]


# ---- the public site's masthead and contacts (a government site names its sponsor and how to reach it) ----
PUBLIC_SITE = {
    "sponsor": os.environ.get("PUBLIC_SITE_SPONSOR", "校外培训机构治理专项工作领导小组办公室"),
    "phone": os.environ.get("PUBLIC_SITE_PHONE", "12345"),
    "address": os.environ.get("PUBLIC_SITE_ADDRESS", ""),
    "icp": os.environ.get("PUBLIC_SITE_ICP", ""),  # ICP filing number shown in the footer, where there is one
}
# Where the public may report by phone, letter or in person, per county: a JSON list of
# {"region": "370102", "name": "历下区教育局", "phone": "...", "address": "...", "hours": "..."}. 12345, the
# citizens' service hotline, takes reports everywhere.
REPORT_HOTLINES = json.loads(os.environ.get("REPORT_HOTLINES_JSON", "[]"))
