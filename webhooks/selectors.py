"""Reads for the webhooks UI and API."""

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

SUCCESS_RATE_WINDOW = timedelta(days=7)


def _endpoints_annotated() -> QuerySet[WebhookEndpoint]:
    last = WebhookDeliveryAttempt.objects.filter(endpoint=OuterRef("pk")).order_by(
        "-id"
    )
    recent = WebhookDeliveryAttempt.objects.filter(
        endpoint=OuterRef("pk"), created_at__gte=timezone.now() - SUCCESS_RATE_WINDOW
    )

    def counted(attempts: QuerySet) -> Subquery:
        return Subquery(
            attempts.values("endpoint").annotate(total=Count("id")).values("total")[:1],
            output_field=IntegerField(),
        )

    return WebhookEndpoint.objects.annotate(
        last_attempt_id=Subquery(last.values("id")[:1]),
        last_delivery_id=Subquery(last.values("delivery_id")[:1]),
        last_attempt_at=Subquery(last.values("created_at")[:1]),
        last_status_code=Subquery(last.values("response_status_code")[:1]),
        last_succeeded=Subquery(last.values("succeeded")[:1]),
        last_error=Subquery(last.values("error")[:1]),
        last_duration_ms=Subquery(last.values("duration_ms")[:1]),
        last_event_type=Subquery(last.values("delivery__event__type")[:1]),
        recent_attempt_count=counted(recent),
        recent_success_count=counted(recent.filter(succeeded=True)),
    )


def webhook_list() -> QuerySet[WebhookEndpoint]:
    return _endpoints_annotated().order_by("id")


def webhook_get(*, webhook_id: int) -> WebhookEndpoint:
    return get_object_or_404(_endpoints_annotated(), pk=webhook_id)


def webhook_last_delivery(*, endpoint: WebhookEndpoint) -> dict | None:
    """The latest attempt, from the annotations of :func:`webhook_list`."""
    if getattr(endpoint, "last_attempt_id", None) is None:
        return None
    return {
        "delivery_id": endpoint.last_delivery_id,
        "event_type": endpoint.last_event_type,
        "succeeded": endpoint.last_succeeded,
        "status_code": endpoint.last_status_code,
        "error": endpoint.last_error or None,
        "response_time_ms": endpoint.last_duration_ms,
        "attempted_at": endpoint.last_attempt_at,
    }


def webhook_success_rate(*, endpoint: WebhookEndpoint) -> float | None:
    """Share of successful attempts in the last 7 days (0–100), or None."""
    total = getattr(endpoint, "recent_attempt_count", None) or 0
    if not total:
        return None
    return round(100 * (endpoint.recent_success_count or 0) / total, 1)


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempts")
        .order_by("-id")
    )


def webhook_delivery_get(
    *, endpoint: WebhookEndpoint, delivery_id: int
) -> WebhookDelivery:
    return get_object_or_404(
        WebhookDelivery.objects.select_related("event", "endpoint"),
        endpoint=endpoint,
        pk=delivery_id,
    )
