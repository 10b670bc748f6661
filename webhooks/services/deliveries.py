"""Deliveries: sending, recording, retrying, draining the outbox, the sweep,
redelivery, pruning, and the Test button."""

import logging
import random
import time
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from webhooks.events import (
    WEBHOOK_TEST,
    drain_queued_key,
    endpoints_dispatch,
    event_body_build,
    message_id_new,
)
from webhooks.models import (
    RESPONSE_BODY_SNIPPET_CHARS,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.services.endpoints import webhook_secrets_active
from webhooks.signing import signature_header
from webhooks.transport import USER_AGENT, SendResult, request_send, request_send_async

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SCHEDULE = (10, 60, 300, 1800, 7200, 21600, 43200, 86400)
# Session-level advisory locks, one per (endpoint, lane): at most this many
# workers deliver to one endpoint at once, so a slow endpoint occupies a few
# worker threads and never all of them. A crashed worker's connection closes
# and PostgreSQL frees its lanes by itself.
ADVISORY_LOCK_NAMESPACE = 0x5748_0000
MAX_RETRY_AFTER_SECONDS = 86400


def webhook_request_headers(
    *, endpoint: WebhookEndpoint, message_id: str, body: str
) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets_active=webhook_secrets_active(endpoint=endpoint),
            message_id=message_id,
            timestamp=timestamp,
            body=body,
        ),
    }


def _attempt_record(
    *, delivery: WebhookDelivery, headers: dict, body: str, result: SendResult
) -> WebhookDeliveryAttempt:
    return WebhookDeliveryAttempt.objects.create(
        delivery=delivery,
        endpoint_id=delivery.endpoint_id,
        request_url=delivery.endpoint.url,
        request_headers=headers,
        request_body=body,
        succeeded=result.ok,
        response_status_code=result.status_code,
        response_headers=result.response_headers,
        response_body=result.response_body[:RESPONSE_BODY_SNIPPET_CHARS],
        duration_ms=result.response_time_ms,
        error=result.error or "",
    )


def retry_schedule() -> tuple[float, ...]:
    return tuple(getattr(settings, "WEBHOOK_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE))


def retry_delay(*, failures: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after ``failures`` failed attempts, or
    None when the schedule is exhausted. ``Retry-After`` wins when given."""
    schedule = retry_schedule()
    if failures > len(schedule):
        return None
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER_SECONDS)
    # Jitter spreads the retries of a burst that failed together.
    return schedule[failures - 1] * random.uniform(0.8, 1.2)


def _endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_reason=reason, updated_at=timezone.now()
    )
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)


def _outcome_record(*, delivery: WebhookDelivery, result: SendResult) -> None:
    endpoint = delivery.endpoint
    now = timezone.now()
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    delivery.claimed_until = None
    if result.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    elif result.status_code == 410:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        _endpoint_disable(endpoint=endpoint, reason=WebhookEndpoint.DisabledReason.GONE)
    else:
        failing_for = getattr(
            settings, "WEBHOOK_DISABLE_AFTER_FAILING_SECONDS", 3 * 86400
        )
        if endpoint.failing_since is None:
            WebhookEndpoint.objects.filter(
                pk=endpoint.pk, failing_since__isnull=True
            ).update(failing_since=now)
        elif (now - endpoint.failing_since).total_seconds() >= failing_for:
            _endpoint_disable(
                endpoint=endpoint, reason=WebhookEndpoint.DisabledReason.FAILING
            )
        delay = retry_delay(
            failures=delivery.attempt_count, retry_after=result.retry_after_seconds
        )
        if delay is None:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.save(
        update_fields=[
            "attempt_count",
            "last_attempt_at",
            "claimed_until",
            "status",
            "next_attempt_at",
            "updated_at",
        ]
    )


def webhook_deliver(*, delivery_id: int) -> SendResult | None:
    """Makes one attempt at a delivery and records it; None when there was
    nothing to do (already delivered, or the endpoint is disabled)."""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(
        pk=delivery_id
    )
    return _delivery_attempt(delivery=delivery)


def _delivery_attempt(*, delivery: WebhookDelivery) -> SendResult | None:
    if delivery.status != WebhookDelivery.Status.PENDING:
        return None
    if not delivery.endpoint.enabled:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_until=None)
        return None
    body = delivery.event.body
    headers = webhook_request_headers(
        endpoint=delivery.endpoint, message_id=delivery.event.message_id, body=body
    )
    result = request_send(url=delivery.endpoint.url, headers=headers, body=body)
    with transaction.atomic():
        _attempt_record(delivery=delivery, headers=headers, body=body, result=result)
        _outcome_record(delivery=delivery, result=result)
    return result


CLAIM_BATCH_SIZE = 10


def _claim_seconds() -> float:
    # Long enough for a whole batch of timeouts.
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    return CLAIM_BATCH_SIZE * (timeout + 2) + 30


def _deliveries_claim(*, endpoint_id: int, skip_ids: list[int]) -> list[int]:
    """Takes the endpoint's oldest due deliveries that nobody else holds."""
    table = WebhookDelivery._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET claimed_until = %s
            WHERE id IN (
                SELECT id FROM {table}
                WHERE endpoint_id = %s AND status = 'pending'
                  AND next_attempt_at <= %s
                  AND (claimed_until IS NULL OR claimed_until < %s)
                  AND NOT (id = ANY(%s))
                ORDER BY next_attempt_at, id
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,
            [
                now + timedelta(seconds=_claim_seconds()),
                endpoint_id,
                now,
                now,
                skip_ids,
                CLAIM_BATCH_SIZE,
            ],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _synchronous_commit_set(*, on: bool) -> None:
    """Delivery bookkeeping commits without waiting for the disk flush.

    Each attempt commits; waiting for WAL fsync on every one would queue the
    web requests' own commits behind the worker's. If PostgreSQL crashed, the
    last fraction of a second of delivery state could be lost, and those
    deliveries would be sent again with the same ``webhook-id`` (receivers
    deduplicate); nothing is lost that has not been delivered.
    """
    if connection.in_atomic_block:
        return  # tests run inside a transaction; the setting is per session
    with connection.cursor() as cursor:
        cursor.execute(f"SET synchronous_commit TO {'DEFAULT' if on else 'OFF'}")


def _lane_acquire(*, endpoint_id: int) -> int | None:
    lanes = int(getattr(settings, "WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT", 4))
    with connection.cursor() as cursor:
        for lane in range(lanes):
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, %s)",
                [ADVISORY_LOCK_NAMESPACE + lane, endpoint_id % 2**31],
            )
            if cursor.fetchone()[0]:
                return lane
    return None


def _lane_release(*, endpoint_id: int, lane: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(%s, %s)",
            [ADVISORY_LOCK_NAMESPACE + lane, endpoint_id % 2**31],
        )


def _due_exists(*, endpoint_id: int, skip_ids: list[int]) -> bool:
    now = timezone.now()
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id,
            endpoint__enabled=True,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .exclude(pk__in=skip_ids)
        .exists()
    )


# Failures that say "the endpoint is down" rather than "this message failed".
UNREACHABLE_STATUS_CODES = frozenset({429, 502, 503, 504})


def _endpoint_unreachable(result: SendResult) -> bool:
    return result.status_code is None or result.status_code in UNREACHABLE_STATUS_CODES


def _endpoint_backoff(*, delivery: WebhookDelivery, batch_ids: list[int]) -> None:
    """The endpoint did not answer: its other due deliveries wait for the same
    retry time instead of each being tried (and timing out) now. The failed
    delivery thus probes for the whole endpoint, which backs off as one.
    Deliveries other workers hold right now are left to them."""
    now = timezone.now()
    WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
    ).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(pk__in=batch_ids)
    ).exclude(pk=delivery.pk).update(
        next_attempt_at=delivery.next_attempt_at, claimed_until=None
    )


def _batch_deliver(*, delivery_ids: list[int]) -> bool:
    """Attempts claimed deliveries in order; False when the drain should stop:
    the endpoint was disabled or is unreachable (the rest is handed back)."""
    batch = WebhookDelivery.objects.select_related("event", "endpoint").filter(
        pk__in=delivery_ids
    )
    deliveries = sorted(batch, key=lambda row: row.pk)
    for delivery in deliveries:
        # One endpoint object for the batch, so that disabling it (410, or
        # failing for days) stops the rest of the batch.
        delivery.endpoint = deliveries[0].endpoint
    for delivery in deliveries:
        result = _delivery_attempt(delivery=delivery)
        if result is None or not delivery.endpoint.enabled:
            # Disabled, before or by this very answer: the rest stays pending.
            WebhookDelivery.objects.filter(
                pk__in=delivery_ids, status=WebhookDelivery.Status.PENDING
            ).update(claimed_until=None)
            return False
        if (
            _endpoint_unreachable(result)
            and delivery.status == WebhookDelivery.Status.PENDING
        ):
            _endpoint_backoff(delivery=delivery, batch_ids=delivery_ids)
            return False
    return True


def webhook_endpoint_drain(*, endpoint_id: int, time_budget_seconds: float = 60) -> int:
    """Delivers the endpoint's due deliveries one after another, in one of its
    lanes; returns how many deliveries it took on.

    Returns at once when all lanes are busy: their holders pick the new rows
    up. Each delivery is attempted at most once per call (failures wait for
    their retry time and the sweep). When the budget runs out, or a row
    arrived just as the lane was let go, another drain is queued.
    """
    lane = _lane_acquire(endpoint_id=endpoint_id)
    if lane is None:
        # The "drain queued" mark stays: the lanes' holders take the new rows,
        # and clear the mark when they finish.
        return 0
    # From here on, a new commit queues another drain (see endpoints_dispatch),
    # which may take another lane.
    cache.delete(drain_queued_key(endpoint_id))
    attempted: list[int] = []
    deadline = time.monotonic() + time_budget_seconds
    _synchronous_commit_set(on=False)
    try:
        while time.monotonic() < deadline:
            claimed = _deliveries_claim(endpoint_id=endpoint_id, skip_ids=attempted)
            if not claimed:
                break
            attempted.extend(claimed)
            if not _batch_deliver(delivery_ids=claimed):
                break
    finally:
        _synchronous_commit_set(on=True)
        _lane_release(endpoint_id=endpoint_id, lane=lane)
    # Clear the mark before looking again: a commit that found it set has its
    # rows visible to the check below; a later one queues its own drain.
    cache.delete(drain_queued_key(endpoint_id))
    if _due_exists(endpoint_id=endpoint_id, skip_ids=attempted):
        endpoints_dispatch(endpoint_ids=[endpoint_id])
    return len(attempted)


def webhook_sweep() -> int:
    """Dispatches every endpoint with due, unclaimed deliveries: retries whose
    time has come, and rows whose dispatch was lost (broker down at commit,
    worker killed mid-delivery). Returns the number of endpoints dispatched."""
    now = timezone.now()
    endpoint_ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__enabled=True,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    if endpoint_ids:
        endpoints_dispatch(endpoint_ids=endpoint_ids)
    return len(endpoint_ids)


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queues the same message (same ``webhook-id``) again as a new delivery."""
    if not delivery.endpoint.enabled:
        raise ValidationError("This endpoint is disabled. Enable it to redeliver.")
    redelivery = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        next_attempt_at=timezone.now(),
    )
    endpoint_id = delivery.endpoint_id
    transaction.on_commit(lambda: endpoints_dispatch(endpoint_ids=[endpoint_id]))
    return redelivery


def webhook_deliveries_prune() -> int:
    """Deletes deliveries, attempts and events older than the retention."""
    days = int(getattr(settings, "WEBHOOK_LOG_RETENTION_DAYS", 14))
    cutoff = timezone.now() - timedelta(days=days)
    deleted_attempts, _ = WebhookDeliveryAttempt.objects.filter(
        created_at__lt=cutoff
    ).delete()
    WebhookDelivery.objects.filter(created_at__lt=cutoff).delete()
    WebhookEvent.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deleted_attempts


# --- The Test button ------------------------------------------------------------


def _test_delivery_create(
    *, endpoint: WebhookEndpoint
) -> tuple[WebhookDelivery, dict, str]:
    message_id = message_id_new()
    body = event_body_build(
        message_id=message_id,
        event_type=WEBHOOK_TEST,
        data={"webhook_id": endpoint.pk, "message": "This is a test event."},
    )
    event = WebhookEvent.objects.create(
        message_id=message_id, type=WEBHOOK_TEST, body=body
    )
    # Test sends are attempted once, right now: no outbox, no retries.
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, next_attempt_at=None
    )
    headers = webhook_request_headers(
        endpoint=endpoint, message_id=message_id, body=body
    )
    return delivery, headers, body


def _test_outcome_record(
    *, delivery: WebhookDelivery, headers: dict, body: str, result: SendResult
) -> None:
    with transaction.atomic():
        _attempt_record(delivery=delivery, headers=headers, body=body, result=result)
        delivery.attempt_count = 1
        delivery.last_attempt_at = timezone.now()
        delivery.status = (
            WebhookDelivery.Status.SUCCEEDED
            if result.ok
            else WebhookDelivery.Status.FAILED
        )
        delivery.save(
            update_fields=["attempt_count", "last_attempt_at", "status", "updated_at"]
        )


async def webhook_test_send(*, endpoint: WebhookEndpoint) -> SendResult:
    """Sends a ``webhook.test`` event now and logs it. Async so that waiting
    up to the timeout on a slow receiver holds no server thread."""
    delivery, headers, body = await sync_to_async(_test_delivery_create)(
        endpoint=endpoint
    )
    result = await request_send_async(url=endpoint.url, headers=headers, body=body)
    await sync_to_async(_test_outcome_record)(
        delivery=delivery, headers=headers, body=body, result=result
    )
    return result
