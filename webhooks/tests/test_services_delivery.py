from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from webhooks.events import event_record
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from webhooks.services import (
    webhook_deliveries_prune,
    webhook_secret_rotate,
    webhook_sweep,
)
from webhooks.tests.factories import WebhookEndpointFactory
from webhooks.tests.receiver import Reply, signature_valid

pytestmark = pytest.mark.django_db


def product_updated(callbacks_capture) -> None:
    with callbacks_capture(execute=True):
        event_record(event_type="product.updated", data={"id": 1, "sku": "A-1"})


def test_retries_after_500s_with_the_same_webhook_id(
    receiver, settings, django_capture_on_commit_callbacks
):
    # given
    settings.WEBHOOK_RETRY_SCHEDULE = (0, 0, 0)
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=500), Reply(status=502)]

    # when
    product_updated(django_capture_on_commit_callbacks)
    webhook_sweep()
    webhook_sweep()

    # then
    assert len(receiver.received) == 3
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 1
    assert receiver.all_signed_by(endpoint.secret)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded"
    assert delivery.attempt_count == 3
    codes = list(
        WebhookDeliveryAttempt.objects.order_by("id").values_list(
            "response_status_code", flat=True
        )
    )
    assert codes == [500, 502, 200]


def test_failure_schedules_retry_with_backoff_and_jitter(
    receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url)
    receiver.default_reply = Reply(status=500)

    product_updated(django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 8 <= wait <= 12
    # not due yet: the sweep leaves it alone
    webhook_sweep()
    assert len(receiver.received) == 1


def test_delivery_fails_when_the_schedule_is_exhausted(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = (0,)
    WebhookEndpointFactory(url=receiver.url)
    receiver.default_reply = Reply(status=500)

    product_updated(django_capture_on_commit_callbacks)
    webhook_sweep()
    webhook_sweep()

    assert len(receiver.received) == 2
    assert WebhookDelivery.objects.get().status == "failed"


def test_timeout_is_a_failure_that_is_retried(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    settings.WEBHOOK_RETRY_SCHEDULE = (0, 0)
    WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(delay=1.0)]

    product_updated(django_capture_on_commit_callbacks)
    first = WebhookDeliveryAttempt.objects.get()
    webhook_sweep()

    assert first.error == "Timed out after 0.3 s"
    assert first.response_status_code is None
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert len(receiver.received) == 2


def test_retry_after_header_sets_the_next_attempt(
    receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=503, headers={"Retry-After": "120"})]

    product_updated(django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 119 <= wait <= 121


def test_410_gone_disables_the_endpoint(receiver, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=410)]

    product_updated(django_capture_on_commit_callbacks)
    product_updated(django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "gone"
    assert WebhookDelivery.objects.get().status == "failed"
    assert len(receiver.received) == 1


def test_endpoint_failing_for_three_days_is_disabled_and_flagged(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(
        url=receiver.url, failing_since=timezone.now() - timedelta(days=3, minutes=1)
    )
    receiver.default_reply = Reply(status=500)

    product_updated(django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "failing"


def test_success_clears_the_failing_streak(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(
        url=receiver.url, failing_since=timezone.now() - timedelta(days=1)
    )

    product_updated(django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert endpoint.enabled


def test_redirects_are_not_followed(receiver, django_capture_on_commit_callbacks):
    WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=302, headers={"Location": receiver.url})]

    product_updated(django_capture_on_commit_callbacks)

    attempt = WebhookDeliveryAttempt.objects.get()
    assert not attempt.succeeded
    assert "redirects are not followed" in attempt.error
    assert len(receiver.received) == 1


def test_connection_refused_is_reported(
    refused_url, private_networks_allowed, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=refused_url)

    product_updated(django_capture_on_commit_callbacks)

    assert WebhookDeliveryAttempt.objects.get().error == "Connection refused"


def test_guard_blocks_loopback_at_send_time(
    receiver, settings, django_capture_on_commit_callbacks
):
    # given: saved while allowed, then the setting is turned off
    WebhookEndpointFactory(url=receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    product_updated(django_capture_on_commit_callbacks)

    attempt = WebhookDeliveryAttempt.objects.get()
    assert attempt.error.startswith(
        "Blocked: 127.0.0.1 resolves to 127.0.0.1, a loopback address."
    )
    assert receiver.received == []


def test_guard_allows_private_networks_when_configured(
    receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url.replace("127.0.0.1", "localhost"))

    product_updated(django_capture_on_commit_callbacks)

    # the request went to the checked address with the original Host header
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["host"].startswith("localhost:")


def test_rotated_secret_signs_alongside_the_old_one_for_24_hours(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    old_secret = endpoint.secret

    webhook_secret_rotate(endpoint=endpoint)
    product_updated(django_capture_on_commit_callbacks)

    item = receiver.received[0]
    assert len(item.headers["webhook-signature"].split()) == 2
    assert signature_valid(secret=old_secret, headers=item.headers, body=item.body)
    assert signature_valid(secret=endpoint.secret, headers=item.headers, body=item.body)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    product_updated(django_capture_on_commit_callbacks)
    item = receiver.received[1]
    assert len(item.headers["webhook-signature"].split()) == 1
    assert not signature_valid(secret=old_secret, headers=item.headers, body=item.body)


def test_disabled_endpoint_keeps_its_outbox_until_enabled(
    receiver, django_capture_on_commit_callbacks
):
    from webhooks.services import webhook_enabled_set

    endpoint = WebhookEndpointFactory(url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        event_record(event_type="product.created", data={"id": 2})
    endpoint.enabled = False
    endpoint.save()

    webhook_sweep()
    assert receiver.received == []

    with django_capture_on_commit_callbacks(execute=True):
        webhook_enabled_set(endpoint=endpoint, enabled=True)
    assert len(receiver.received) == 1


def test_prune_deletes_logs_older_than_14_days(
    receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url)
    product_updated(django_capture_on_commit_callbacks)
    product_updated(django_capture_on_commit_callbacks)
    old = WebhookDelivery.objects.order_by("id").first()
    long_ago = timezone.now() - timedelta(days=15)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=long_ago)
    WebhookDeliveryAttempt.objects.filter(delivery=old).update(created_at=long_ago)

    webhook_deliveries_prune()

    assert WebhookDelivery.objects.count() == 1
    assert WebhookDeliveryAttempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_outbox_survives_a_broker_outage(receiver, refused_url):
    # given: the broker is unreachable when the change commits
    endpoint = WebhookEndpointFactory(url=receiver.url)
    dead_broker = refused_url.replace("http://", "redis://").replace("/hook", "/0")
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = dead_broker
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        with transaction.atomic():
            event_record(event_type="product.updated", data={"id": 9, "sku": "Z"})
        # the change committed and the request was not broken by the outage
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
    assert receiver.received == []
    assert WebhookDelivery.objects.get().status == "pending"

    # when: the broker is back and beat runs the sweep
    webhook_sweep()

    # then
    assert len(receiver.received) == 1
    assert receiver.all_signed_by(endpoint.secret)
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_busy_endpoint_gets_no_more_worker_threads_than_its_lanes(
    receiver, settings, django_capture_on_commit_callbacks
):
    """A slow endpoint holds at most WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT
    worker threads; further drains for it return at once, leaving the other
    threads to other endpoints."""
    import psycopg
    from django.db import connection

    from webhooks.services import ADVISORY_LOCK_NAMESPACE, webhook_endpoint_drain

    # given: another session holds both lanes of the endpoint
    settings.WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT = 2
    endpoint = WebhookEndpointFactory(url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        event_record(event_type="product.updated", data={"id": 1})
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as other_worker:
        for lane in range(2):
            other_worker.execute(
                "SELECT pg_advisory_lock(%s, %s)",
                [ADVISORY_LOCK_NAMESPACE + lane, endpoint.pk],
            )

        # when
        attempts = webhook_endpoint_drain(endpoint_id=endpoint.pk)

        # then
        assert attempts == 0
        assert receiver.received == []
        other_worker.execute("SELECT pg_advisory_unlock_all()")

    # the lanes are free again once that worker lets go
    assert webhook_endpoint_drain(endpoint_id=endpoint.pk) == 1
    assert len(receiver.received) == 1


def test_unreachable_endpoint_is_probed_with_one_delivery_at_a_time(
    refused_url, private_networks_allowed, django_capture_on_commit_callbacks
):
    # given: three events wait for an endpoint that refuses connections
    endpoint = WebhookEndpointFactory(url=refused_url)
    with django_capture_on_commit_callbacks(execute=False):
        for product_id in range(3):
            event_record(event_type="product.updated", data={"id": product_id})

    # when
    from webhooks.services import webhook_endpoint_drain

    attempts = webhook_endpoint_drain(endpoint_id=endpoint.pk)

    # then: one attempt, and the others wait for the same retry time
    assert attempts >= 1
    assert WebhookDeliveryAttempt.objects.count() == 1
    waiting = WebhookDelivery.objects.filter(status="pending")
    assert waiting.count() == 3
    assert len({row.next_attempt_at for row in waiting}) == 1
    assert waiting.order_by("next_attempt_at").first().next_attempt_at > timezone.now()


def test_sweep_takes_over_a_delivery_whose_worker_died(
    receiver, django_capture_on_commit_callbacks
):
    # given: a worker claimed the delivery and vanished before sending it
    WebhookEndpointFactory(url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        event_record(event_type="product.updated", data={"id": 4})
    WebhookDelivery.objects.update(claimed_until=timezone.now() + timedelta(minutes=5))
    webhook_sweep()
    assert receiver.received == []

    # when: the claim lapses
    WebhookDelivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    webhook_sweep()

    # then
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_retry_after_as_an_http_date(receiver, django_capture_on_commit_callbacks):
    from email.utils import format_datetime

    WebhookEndpointFactory(url=receiver.url)
    retry_at = timezone.now() + timedelta(minutes=10)
    receiver.replies = [
        Reply(
            status=429, headers={"Retry-After": format_datetime(retry_at, usegmt=True)}
        )
    ]

    product_updated(django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert abs((delivery.next_attempt_at - retry_at).total_seconds()) < 2


def test_410_stops_the_rest_of_the_batch(receiver, django_capture_on_commit_callbacks):
    from webhooks.services import webhook_endpoint_drain

    endpoint = WebhookEndpointFactory(url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        for product_id in range(3):
            event_record(event_type="product.updated", data={"id": product_id})
    receiver.default_reply = Reply(status=410)

    webhook_endpoint_drain(endpoint_id=endpoint.pk)

    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.filter(status="pending").count() == 2
    assert not WebhookDelivery.objects.filter(claimed_until__isnull=False).exists()
