import pytest
from rest_framework.test import APIClient

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory
from webhooks.tests.receiver import Reply

pytestmark = pytest.mark.django_db


def test_anonymous_callers_get_401():
    client = APIClient()

    assert client.get("/api/webhooks/").status_code == 401
    assert client.post("/api/webhooks/1/test/").status_code == 401


def test_create_returns_the_webhook_object(api_client, private_networks_allowed):
    response = api_client.post(
        "/api/webhooks/",
        {
            "url": "http://127.0.0.1:9/hook",
            "events": ["product.updated", "product.created"],
            "description": "ERP",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "url",
        "events",
        "enabled",
        "description",
        "secret",
        "created_at",
        "updated_at",
        "last_delivery",
    }
    assert body["events"] == ["product.created", "product.updated"]
    assert body["enabled"] is True
    assert body["secret"].startswith("whsec_")
    assert body["last_delivery"] is None


def test_unknown_event_type_is_400_with_a_clear_message(api_client):
    response = api_client.post(
        "/api/webhooks/",
        {"url": "https://example.com/hook", "events": ["product.exploded"]},
        format="json",
    )

    assert response.status_code == 400
    assert "Unknown event type 'product.exploded'" in response.json()["events"][0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "Use an http:// or https:// URL."),
        (
            "http://192.168.1.20/hook",
            "Blocked: 192.168.1.20 resolves to 192.168.1.20, a private address.",
        ),
    ],
)
def test_bad_urls_are_400(api_client, url, message):
    response = api_client.post(
        "/api/webhooks/", {"url": url, "events": ["product.created"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["url"][0].startswith(message)


def test_list_get_put_patch_delete(api_client):
    endpoint = WebhookEndpointFactory(events=["product.created"])
    detail = f"/api/webhooks/{endpoint.pk}/"

    listed = api_client.get("/api/webhooks/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == endpoint.pk
    assert api_client.get(detail).json()["url"] == endpoint.url

    put = api_client.put(
        detail,
        {"url": "https://example.org/new", "events": ["import.failed"]},
        format="json",
    )
    assert put.status_code == 200
    assert put.json()["events"] == ["import.failed"]

    patch = api_client.patch(detail, {"enabled": False}, format="json")
    assert patch.status_code == 200
    assert patch.json()["enabled"] is False
    assert patch.json()["url"] == "https://example.org/new"

    put_missing = api_client.put(detail, {"enabled": True}, format="json")
    assert put_missing.status_code == 400

    assert api_client.delete(detail).status_code == 204
    assert api_client.get(detail).status_code == 404


def test_rotate_secret_keeps_the_old_one_signing(api_client):
    endpoint = WebhookEndpointFactory()

    response = api_client.post(f"/api/webhooks/{endpoint.pk}/rotate-secret/")

    assert response.status_code == 200
    assert response.json()["secret"] != endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_expires_at is not None


def test_test_endpoint_reports_code_time_and_body(api_client, receiver):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=200, body=b"thanks")]

    response = api_client.post(f"/api/webhooks/{endpoint.pk}/test/")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["status_code"] == 200
    assert body["response_time_ms"] > 0
    assert body["error"] is None
    assert body["response_body"] == "thanks"
    assert receiver.received[0].json["type"] == "webhook.test"
    assert receiver.all_signed_by(endpoint.secret)
    # and it is in the log and shown as the last delivery
    detail = api_client.get(f"/api/webhooks/{endpoint.pk}/").json()
    assert detail["last_delivery"]["status_code"] == 200
    assert detail["last_delivery"]["event_type"] == "webhook.test"


def test_test_endpoint_reports_connection_refused(
    api_client, refused_url, private_networks_allowed
):
    endpoint = WebhookEndpointFactory(url=refused_url)

    body = api_client.post(f"/api/webhooks/{endpoint.pk}/test/").json()

    assert body["ok"] is False
    assert body["status_code"] is None
    assert body["error"] == "Connection refused"


def test_test_endpoint_reports_a_blocked_address(api_client, receiver, settings):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    body = api_client.post(f"/api/webhooks/{endpoint.pk}/test/").json()

    assert body["ok"] is False
    assert body["error"].startswith("Blocked: 127.0.0.1 resolves to 127.0.0.1")
    assert receiver.received == []


def test_deliveries_newest_first_and_redeliver(
    api_client, receiver, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=500, body=b"boom")]
    api_client.post(f"/api/webhooks/{endpoint.pk}/test/")
    api_client.post(f"/api/webhooks/{endpoint.pk}/test/")

    listed = api_client.get(f"/api/webhooks/{endpoint.pk}/deliveries/").json()
    assert listed["count"] == 2
    newest, oldest = listed["results"]
    assert newest["id"] > oldest["id"]
    attempt = oldest["attempts"][0]
    assert attempt["response_status_code"] == 500
    assert attempt["response_body"] == "boom"
    assert attempt["request_headers"]["webhook-id"] == oldest["event_id"]
    assert attempt["request_body"].startswith('{"id":')

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/webhooks/{endpoint.pk}/deliveries/{oldest['id']}/redeliver/"
        )

    assert response.status_code == 202
    assert WebhookDelivery.objects.get(pk=response.json()["id"]).status == "succeeded"
    assert receiver.received[-1].headers["webhook-id"] == oldest["event_id"]


def test_unknown_ids_are_404(api_client):
    assert api_client.get("/api/webhooks/999/").status_code == 404
    assert api_client.post("/api/webhooks/999/test/").status_code == 404
    assert api_client.get("/api/webhooks/999/deliveries/").status_code == 404


def test_enabling_a_webhook_again_clears_its_failure_flag(api_client):
    endpoint = WebhookEndpointFactory(enabled=False, disabled_reason="failing")

    api_client.patch(f"/api/webhooks/{endpoint.pk}/", {"enabled": True}, format="json")

    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert endpoint.disabled_reason == ""
    assert WebhookEndpoint.objects.count() == 1
