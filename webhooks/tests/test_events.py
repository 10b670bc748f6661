import json

import pytest
from django.db import transaction

from webhooks.events import event_record
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_event_is_delivered_signed_after_commit(
    receiver, django_capture_on_commit_callbacks
):
    # given
    endpoint = WebhookEndpointFactory(url=receiver.url, events=["product.updated"])

    # when
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_record(event_type="product.updated", data={"id": 7, "sku": "ABC-1"})
        assert receiver.received == []

    # then
    assert len(receiver.received) == 1
    envelope = receiver.received[0].json
    assert envelope["type"] == "product.updated"
    assert envelope["data"] == {"id": 7, "sku": "ABC-1"}
    assert envelope["id"] == receiver.received[0].headers["webhook-id"]
    assert envelope["timestamp"].endswith("Z")
    assert receiver.all_signed_by(endpoint.secret)
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_event_in_rolled_back_transaction_announces_nothing(
    receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        event_record(event_type="product.created", data={"id": 1})
        raise RuntimeError("the product write failed")

    assert callbacks == []
    assert receiver.received == []
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_event_only_goes_to_enabled_subscribed_endpoints(
    django_capture_on_commit_callbacks,
):
    subscribed = WebhookEndpointFactory(events=["product.deleted"])
    WebhookEndpointFactory(events=["product.created"])
    WebhookEndpointFactory(events=["product.deleted"], enabled=False)

    with django_capture_on_commit_callbacks(execute=False):
        event_record(event_type="product.deleted", data={"id": 3, "sku": "X"})

    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [
        subscribed.pk
    ]


def test_event_without_subscribers_writes_nothing():
    event_record(event_type="import.completed", data={"created": 3})

    assert not WebhookEvent.objects.exists()


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        event_record(event_type="product.exploded", data={})


def test_event_body_is_compact_json_with_datetimes():
    from datetime import UTC, datetime

    WebhookEndpointFactory(events=["product.created"])

    event_record(
        event_type="product.created",
        data={"id": 1, "updated_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
    )

    body = WebhookEvent.objects.get().body
    assert json.loads(body)["data"]["updated_at"] == "2026-01-02T03:04:05Z"
