"""Django settings. Every value that differs between machines comes from the
environment (or a ``.env`` file beside ``manage.py``); the README lists them all.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or run with "
            "DJANGO_DEBUG=true for local development; `make run` generates one)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "core",
    "catalog",
    "imports",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LoginRequiredExceptApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.section",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/product_importer"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Under ASGI each request runs in a thread of its own, so persistent
# connections are never reused; a psycopg pool per process saves the connect
# (and the new backend's catalog warm-up) on every request.
if env.bool("DATABASE_POOL", default=False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
        "timeout": 10,
    }
# Several test runs may share one server (e.g. parallel checkouts): each can
# choose its own throwaway test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ---------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="pi"),
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged only after it finished, and a task whose worker died
# (SIGKILL, OOM) goes back to the queue instead of being lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With the Redis broker an unacknowledged message whose worker vanished is
# handed out again once this many seconds have passed.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# Imports (long, CPU and database heavy) and webhook deliveries (many, mostly
# waiting on the network) run on separate queues so that neither starves the
# other; `make run` starts one worker per queue.
CELERY_TASK_ROUTES = {
    "imports.tasks.*": {"queue": "imports"},
    "webhooks.tasks.*": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE: dict = {
    # Retries whose time has come, and outbox rows whose dispatch was lost.
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhook_sweep_task",
        "schedule": env.float("WEBHOOK_SWEEP_INTERVAL_SECONDS", default=5.0),
    },
    "webhooks-prune": {
        "task": "webhooks.tasks.webhook_deliveries_prune_task",
        "schedule": 3600.0,
    },
    # Re-queues imports whose worker died (see imports/services.py).
    "imports-recover": {
        "task": "imports.tasks.import_jobs_recover",
        "schedule": env.float("IMPORT_RECOVER_INTERVAL_SECONDS", default=30.0),
    },
}

# --- Auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("USE_X_FORWARDED_PROTO", default=False)
    else None
)

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible object storage through django-storages (install it with
    # `pip install django-storages[s3]`); configured by its AWS_* variables.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# Uploads larger than this many bytes are refused with 413.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=1024**3)
# Rows per upsert statement: smaller batches move the progress bar more often.
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=20_000)
# Progress goes to Redis this often; the job row is written this often.
IMPORT_PROGRESS_INTERVAL_SECONDS = env.float(
    "IMPORT_PROGRESS_INTERVAL_SECONDS", default=0.4
)
IMPORT_JOB_SAVE_INTERVAL_SECONDS = env.float(
    "IMPORT_JOB_SAVE_INTERVAL_SECONDS", default=4.0
)
# A job still pending after this long (its queue message lost, e.g. Redis was
# flushed) is queued again by the recovery task; processing jobs whose worker
# died are queued again at once.
IMPORT_STALE_PENDING_SECONDS = env.int("IMPORT_STALE_PENDING_SECONDS", default=600)
# Django holds small uploads in memory up to this size, then spools to disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Catalog ----------------------------------------------------------------
# Exact product counts are cached until the catalog changes; this TTL bounds
# how long a count can survive a write nobody announced (0 disables caching).
CATALOG_COUNT_CACHE_SECONDS = env.int("CATALOG_COUNT_CACHE_SECONDS", default=300)

# --- Webhooks ---------------------------------------------------------------
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False
)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# CA certificates that webhook HTTPS receivers are verified against (a PEM
# file); empty means the certifi bundle.
WEBHOOK_CA_BUNDLE = env("WEBHOOK_CA_BUNDLE", default="")
# Seconds to wait before each retry (with +-20 % jitter); then the delivery fails.
WEBHOOK_RETRY_SCHEDULE = (10, 60, 300, 1800, 7200, 21600, 43200, 86400)
WEBHOOK_DISABLE_AFTER_FAILING_SECONDS = 3 * 86400
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=14)
# How many worker threads may deliver to one endpoint at the same time.
WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT = env.int(
    "WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT", default=4
)
# A worker consuming only the webhooks queue lowers its CPU priority by this
# much, so that deliveries never compete with web requests (0 turns it off).
WEBHOOK_WORKER_NICE = env.int("WEBHOOK_WORKER_NICE", default=10)
# Deliveries start this long after the change commits, so that one worker task
# carries a burst of changes instead of one task per change.
WEBHOOK_DISPATCH_DELAY_SECONDS = env.float(
    "WEBHOOK_DISPATCH_DELAY_SECONDS", default=1.0
)

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    # Token first so that an anonymous API call gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Product Importer API",
    "DESCRIPTION": "Import, manage and export products; configure webhooks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
