"""The one seam through which the rest of the app announces changes.

Services call :func:`event_record` inside the transaction that makes the
change; the webhooks app turns it into outbox rows that are dispatched only
after that transaction commits.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

PRODUCT_CREATED = "product.created"
PRODUCT_UPDATED = "product.updated"
PRODUCT_DELETED = "product.deleted"
PRODUCTS_BULK_DELETED = "products.bulk_deleted"
IMPORT_COMPLETED = "import.completed"
IMPORT_FAILED = "import.failed"
WEBHOOK_TEST = "webhook.test"

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


def event_record(*, event_type: str, data: dict[str, Any]) -> None:
    """Records that ``event_type`` happened, with ``data`` as its payload.

    Must be called inside the transaction that makes the change: the outbox
    rows are written in that transaction and handed to the workers only after
    it commits, so a rolled-back change is never announced. Does no network
    I/O; when no enabled endpoint subscribes to the event it costs one query.
    """
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(
            enabled=True, events__contains=[event_type]
        ).values_list("id", flat=True)
    )
    if not endpoint_ids:
        return
    message_id = message_id_new()
    event = WebhookEvent.objects.create(
        message_id=message_id,
        type=event_type,
        body=event_body_build(message_id=message_id, event_type=event_type, data=data),
    )
    now = event.created_at
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint_id=endpoint_id, event=event, next_attempt_at=now)
        for endpoint_id in endpoint_ids
    )
    transaction.on_commit(lambda: endpoints_dispatch(endpoint_ids=endpoint_ids))


def endpoints_dispatch(*, endpoint_ids: list[int]) -> None:
    """Asks the webhook workers to drain these endpoints' outboxes.

    Runs after the commit, inside whatever request made the change, so it must
    never raise: if the broker is unreachable the rows stay in the outbox and
    the periodic sweep dispatches them once it is back.
    """
    from webhooks.tasks import webhook_endpoint_drain_task

    for endpoint_id in endpoint_ids:
        try:
            webhook_endpoint_drain_task.apply_async(
                kwargs={"endpoint_id": endpoint_id}, retry=False
            )
        except Exception:
            import logging

            logging.getLogger(__name__).warning(
                "Could not dispatch webhook endpoint %s; the sweep will retry.",
                endpoint_id,
                exc_info=True,
            )
            return
