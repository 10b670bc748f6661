"""Reports a running job's progress to Redis and to the job row.

The import does its real work inside one long database transaction, so
nothing it writes there is visible until the end. Progress therefore travels
outside that transaction: a small background thread publishes the job's
state to Redis (a key with the latest state plus a pub/sub message) at least
twice a second and at every phase change, and writes the progress columns of
the job row through its own autocommitting connection at every phase change
and every few seconds, so status survives a Redis restart. The same thread
notices a cancel request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.db import connection
from psycopg.types.json import Jsonb

logger = logging.getLogger(__name__)

STATE_TTL_SECONDS = 24 * 3600
PROGRESS_FIELDS = (
    "status",
    "phase",
    "message",
    "progress",
    "total_records",
    "processed_records",
    "created_count",
    "updated_count",
    "unchanged_count",
    "invalid_count",
    "warnings",
)


def progress_channel(job_id: int) -> str:
    return f"imports:job:{job_id}:events"


def progress_state_key(job_id: int) -> str:
    return f"imports:job:{job_id}:state"


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def progress_publish(*, client: redis.Redis, payload: dict[str, Any]) -> None:
    """Stores ``payload`` as the job's latest state and announces it."""
    message = json.dumps(payload, default=str)
    pipe = client.pipeline(transaction=False)
    pipe.set(progress_state_key(payload["id"]), message, ex=STATE_TTL_SECONDS)
    pipe.publish(progress_channel(payload["id"]), message)
    pipe.execute()


def progress_state_get(*, client: redis.Redis, job_id: int) -> dict | None:
    raw = client.get(progress_state_key(job_id))
    return json.loads(raw) if raw else None


def progress_state_forget(*, job_id: int) -> None:
    try:
        redis_client().delete(progress_state_key(job_id))
    except redis.RedisError:
        logger.warning("could not clear progress state of import %s", job_id)


def side_connection_open() -> psycopg.Connection:
    """A new autocommit connection to the same database as Django's default."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, autocommit=True)


class ProgressReporter:
    """Publishes the in-memory ``job`` while the pipeline mutates it.

    The pipeline calls :meth:`update` (cheap, any rate) and :meth:`phase`
    (publishes at once). ``payload`` turns the job into the API's job object;
    ``on_publish`` (the CLI's progress bar) sees every published state.
    """

    def __init__(
        self,
        *,
        job,
        payload: Callable[[Any], dict],
        on_publish: Callable[[dict], None] | None = None,
    ) -> None:
        self.job = job
        self.payload = payload
        self.on_publish = on_publish
        self.publish_interval = settings.IMPORT_PROGRESS_INTERVAL_SECONDS
        self.save_interval = settings.IMPORT_JOB_SAVE_INTERVAL_SECONDS
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._save_now = False
        self._thread: threading.Thread | None = None
        self._redis = redis_client()
        self._db: psycopg.Connection | None = None
        self._last_save = 0.0
        self._last_cancel_check = 0.0

    def __enter__(self) -> ProgressReporter:
        self._db = side_connection_open()
        self._thread = threading.Thread(
            target=self._run, name=f"import-{self.job.pk}-progress", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops publishing; the caller then writes the final state itself."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self._thread = None
        if self._db is not None:
            self._db.close()
            self._db = None

    def update(self, **fields: Any) -> None:
        with self._lock:
            for name, value in fields.items():
                setattr(self.job, name, value)

    def phase(self, phase: str, **fields: Any) -> None:
        """Moves to ``phase``: published and saved to the job row at once."""
        with self._lock:
            self.job.phase = phase
            for name, value in fields.items():
                setattr(self.job, name, value)
            self._save_now = True
        self._wake.set()

    def publish_now(self) -> None:
        """Publishes from the calling thread (used for the final state)."""
        self._publish(self._snapshot())

    def _snapshot(self) -> dict:
        with self._lock:
            return self.payload(self.job)

    def _publish(self, state: dict) -> None:
        try:
            progress_publish(client=self._redis, payload=state)
        except redis.RedisError:
            logger.warning("progress of import %s not published", self.job.pk)
        if self.on_publish is not None:
            self.on_publish(state)

    def _save(self) -> None:
        with self._lock:
            values = {name: getattr(self.job, name) for name in PROGRESS_FIELDS}
        values["warnings"] = Jsonb(values["warnings"])
        assignments = ", ".join(f"{name} = %({name})s" for name in values)
        values["id"] = self.job.pk
        # Only while processing: the final state is written by the pipeline's
        # own transaction and must never be overwritten by a late progress
        # write.
        self._db.execute(
            f"UPDATE imports_importjob SET {assignments}, updated_at = now() "
            "WHERE id = %(id)s AND status = 'processing'",
            values,
        )

    def _cancel_check(self) -> None:
        row = self._db.execute(
            "SELECT cancel_requested FROM imports_importjob WHERE id = %s",
            [self.job.pk],
        ).fetchone()
        if row and row[0]:
            self.cancelled.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.publish_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self._publish(self._snapshot())
                now = time.monotonic()
                with self._lock:
                    save_now, self._save_now = self._save_now, False
                if save_now or now - self._last_save >= self.save_interval:
                    self._save()
                    self._last_save = now
                if now - self._last_cancel_check >= 1.0:
                    self._cancel_check()
                    self._last_cancel_check = now
            except Exception:  # keep reporting; the import itself goes on
                logger.exception("progress reporter of import %s", self.job.pk)
                time.sleep(self.publish_interval)
