"""Reads about the running system (health of its backing services)."""

import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def redis_is_up() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)
        return bool(client.ping())
    except Exception:
        return False


def celery_workers_answering(*, timeout: float = 0.5) -> int:
    """How many Celery workers answered a ping within ``timeout`` seconds."""
    try:
        replies = celery_app.control.ping(timeout=timeout) or []
    except Exception:
        return 0
    return len(replies)


def system_health() -> dict:
    database = database_is_up()
    redis_up = redis_is_up()
    workers = celery_workers_answering() if redis_up else 0
    return {
        "status": "ok" if database and redis_up else "unavailable",
        "database": "ok" if database else "down",
        "redis": "ok" if redis_up else "down",
        "celery": {"workers": workers, "status": "ok" if workers else "no worker"},
    }
