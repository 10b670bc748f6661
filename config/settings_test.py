"""Settings for the test suite: the real settings with test-only defaults.

Tests still use the real PostgreSQL and Redis from DATABASE_URL/REDIS_URL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("MEDIA_ROOT", "/tmp/product-importer-test-media")
# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse ORM calls from that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
