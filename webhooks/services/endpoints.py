"""Endpoints: create, change, enable, delete, and their signing secrets."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from webhooks.events import EVENT_TYPES, endpoints_dispatch
from webhooks.guard import AddressBlocked, url_check
from webhooks.models import WebhookEndpoint
from webhooks.signing import secret_generate

PREVIOUS_SECRET_GRACE = timedelta(hours=24)


def webhook_url_validate(*, url: str) -> str:
    """Returns the cleaned URL or raises ValidationError with a clear message."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the URL that should receive the events.")
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValidationError("Use an http:// or https:// URL.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError("Enter a valid URL, e.g. https://example.com/hooks.")
    try:
        url_check(url)
    except AddressBlocked as error:
        raise ValidationError(str(error))
    return url


def webhook_events_validate(*, events: list[str]) -> list[str]:
    unknown = [event for event in events if event not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            f"Unknown event type {', '.join(repr(e) for e in unknown)}. "
            f"Choose from: {', '.join(EVENT_TYPES)}."
        )
    if not events:
        raise ValidationError("Choose at least one event type.")
    return [event for event in EVENT_TYPES if event in events]


def _fields_validate(**fields) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(fields)
    for name, validate in (
        ("url", lambda v: webhook_url_validate(url=v)),
        ("events", lambda v: webhook_events_validate(events=v)),
    ):
        if name in fields:
            try:
                cleaned[name] = validate(fields[name])
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def webhook_create(
    *, url: str, events: list[str], enabled: bool = True, description: str = ""
) -> WebhookEndpoint:
    cleaned = _fields_validate(url=url, events=events)
    return WebhookEndpoint.objects.create(
        url=cleaned["url"],
        events=cleaned["events"],
        enabled=enabled,
        description=description.strip(),
        secret=secret_generate(),
    )


def webhook_update(*, endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    """Changes url, events, description and/or enabled."""
    allowed = {"url", "events", "description", "enabled"}
    changes = {key: value for key, value in data.items() if key in allowed}
    changes = _fields_validate(**changes)
    if "enabled" in changes:
        return webhook_enabled_set(
            endpoint=_fields_apply(endpoint, changes), enabled=changes["enabled"]
        )
    _fields_apply(endpoint, changes).save()
    return endpoint


def _fields_apply(endpoint: WebhookEndpoint, changes: dict) -> WebhookEndpoint:
    for key, value in changes.items():
        if key != "enabled":
            setattr(endpoint, key, value.strip() if key == "description" else value)
    return endpoint


def webhook_enabled_set(*, endpoint: WebhookEndpoint, enabled: bool) -> WebhookEndpoint:
    """Turning an endpoint back on forgets why it was disabled and delivers
    whatever waited in its outbox meanwhile."""
    was_enabled = endpoint.enabled
    endpoint.enabled = enabled
    if enabled and not was_enabled:
        endpoint.disabled_reason = WebhookEndpoint.DisabledReason.NONE
        endpoint.failing_since = None
        endpoint_id = endpoint.pk
        transaction.on_commit(lambda: endpoints_dispatch(endpoint_ids=[endpoint_id]))
    endpoint.save()
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def webhook_secret_rotate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """New secret; the old one keeps signing alongside it for 24 hours."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_GRACE
    endpoint.secret = secret_generate()
    endpoint.save(
        update_fields=[
            "secret",
            "previous_secret",
            "previous_secret_expires_at",
            "updated_at",
        ]
    )
    return endpoint


def webhook_secrets_active(*, endpoint: WebhookEndpoint) -> list[str]:
    active = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > timezone.now()
    ):
        active.append(endpoint.previous_secret)
    return active
