"""The one seam through which the rest of the app announces changes.

Services call :func:`event_record` inside the transaction that makes the
change; the webhooks app turns it into outbox rows that are dispatched only
after that transaction commits.
"""

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

PRODUCT_CREATED = "product.created"
PRODUCT_UPDATED = "product.updated"
PRODUCT_DELETED = "product.deleted"
PRODUCTS_BULK_DELETED = "products.bulk_deleted"
IMPORT_COMPLETED = "import.completed"
IMPORT_FAILED = "import.failed"
WEBHOOK_TEST = "webhook.test"

logger = logging.getLogger(__name__)

# What an endpoint can subscribe to, in the order the UI lists them.
EVENT_TYPES: tuple[str, ...] = (
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
    PRODUCT_DELETED,
    PRODUCTS_BULK_DELETED,
    IMPORT_COMPLETED,
    IMPORT_FAILED,
)


def message_id_new() -> str:
    return f"msg_{uuid.uuid4().hex}"


def event_body_build(*, message_id: str, event_type: str, data: dict) -> str:
    """The JSON envelope, serialised once so every retry sends the same bytes."""
    envelope = {
        "id": message_id,
        "type": event_type,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))


# One round trip, as it runs inside every product write: find the enabled
# endpoints subscribed to the event, and only if there are any, write the event
# and one pending delivery per endpoint. Returns those endpoints' ids.
OUTBOX_INSERT_SQL = """
WITH subscribed AS (
    SELECT id FROM webhooks_webhookendpoint
    WHERE enabled AND events @> ARRAY[%(event_type)s]::varchar(64)[]
), event AS (
    INSERT INTO webhooks_webhookevent (message_id, type, body, created_at, updated_at)
    SELECT %(message_id)s, %(event_type)s, %(body)s, %(now)s, %(now)s
    WHERE EXISTS (SELECT 1 FROM subscribed)
    RETURNING id
)
INSERT INTO webhooks_webhookdelivery
    (endpoint_id, event_id, status, attempt_count, next_attempt_at,
     created_at, updated_at)
SELECT subscribed.id, event.id, 'pending', 0, %(now)s, %(now)s, %(now)s
FROM subscribed CROSS JOIN event
RETURNING endpoint_id
"""


def event_record(*, event_type: str, data: dict[str, Any]) -> None:
    """Records that ``event_type`` happened, with ``data`` as its payload.

    Must be called inside the transaction that makes the change: the outbox
    rows are written in that transaction and handed to the workers only after
    it commits, so a rolled-back change is never announced. Does no network
    I/O; when no enabled endpoint subscribes to the event it costs one query.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    message_id = message_id_new()
    body = event_body_build(message_id=message_id, event_type=event_type, data=data)
    with connection.cursor() as cursor:
        cursor.execute(
            OUTBOX_INSERT_SQL,
            {
                "event_type": event_type,
                "message_id": message_id,
                "body": body,
                "now": timezone.now(),
            },
        )
        endpoint_ids = [row[0] for row in cursor.fetchall()]
    if not endpoint_ids:
        return
    transaction.on_commit(lambda: endpoints_dispatch(endpoint_ids=endpoint_ids))


# After a failed dispatch the broker is presumed down for this long: changes
# made meanwhile skip the attempt (the sweep delivers them), so an outage costs
# one request a few milliseconds instead of every request several seconds.
DISPATCH_PAUSE_SECONDS = 10.0
_dispatch_state: dict[str, Any] = {"paused_until": 0.0, "pools": {}}
_dispatch_lock = threading.Lock()


# Lost messages (a worker killed before it started the drain) only delay the
# endpoint until this expires; the sweep runs meanwhile anyway.
DRAIN_QUEUED_TTL_SECONDS = 30


def drain_queued_key(endpoint_id: int) -> str:
    return f"webhooks:drain-queued:{endpoint_id}"


def _dispatch_pool():
    """A broker connection pool that fails at once instead of retrying: the
    outbox row is safe in the database, so waiting for the broker gains
    nothing."""
    from config.celery import app

    url = app.conf.broker_write_url or app.conf.broker_url
    with _dispatch_lock:
        pool = _dispatch_state["pools"].get(url)
        if pool is None:
            options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
            pool = app.connection_for_write(url=url, transport_options=options).Pool(
                limit=32
            )
            _dispatch_state["pools"][url] = pool
    return pool


def endpoints_dispatch(*, endpoint_ids: list[int]) -> None:
    """Asks the webhook workers to drain these endpoints' outboxes.

    Runs after the commit, inside whatever request made the change, so it must
    never raise or wait: if the broker is unreachable the rows stay in the
    outbox and the periodic sweep dispatches them once it is back.
    """
    from webhooks.tasks import webhook_endpoint_drain_task

    if webhook_endpoint_drain_task.app.conf.task_always_eager:
        for endpoint_id in endpoint_ids:
            webhook_endpoint_drain_task.apply_async(kwargs={"endpoint_id": endpoint_id})
        return
    if time.monotonic() < _dispatch_state["paused_until"]:
        return
    # A short wait lets one drain carry the changes of the next moment too:
    # per-delivery overhead (a task, a database connection) is paid per batch.
    delay = float(getattr(settings, "WEBHOOK_DISPATCH_DELAY_SECONDS", 1.0)) or None
    # A drain that is queued but has not started yet will see this commit's
    # rows: queue another only when none is waiting. A burst of 1,000 changes
    # then costs a handful of messages, not 1,000 per endpoint.
    # One round trip in the usual case of a burst, where the marks are set.
    marked = cache.get_many([drain_queued_key(each) for each in endpoint_ids])
    to_drain = [
        endpoint_id
        for endpoint_id in endpoint_ids
        if drain_queued_key(endpoint_id) not in marked
        and cache.add(drain_queued_key(endpoint_id), 1, DRAIN_QUEUED_TTL_SECONDS)
    ]
    try:
        with _dispatch_pool().acquire(block=True, timeout=1) as broker:
            for endpoint_id in to_drain:
                webhook_endpoint_drain_task.apply_async(
                    kwargs={"endpoint_id": endpoint_id},
                    countdown=delay,
                    retry=False,
                    connection=broker,
                )
    except Exception:
        cache.delete_many([drain_queued_key(endpoint_id) for endpoint_id in to_drain])
        _dispatch_state["paused_until"] = time.monotonic() + DISPATCH_PAUSE_SECONDS
        logger.warning(
            "Could not dispatch webhooks for endpoints %s; the sweep will deliver "
            "them.",
            endpoint_ids,
            exc_info=True,
        )
