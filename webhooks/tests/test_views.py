import pytest

from webhooks.models import WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_logged_in(client, user):
    client.force_login(user)
    return client


def test_empty_list_offers_the_next_step(client_logged_in):
    response = client_logged_in.get("/webhooks/")

    assert response.status_code == 200
    assert "No webhooks yet." in response.text
    assert "Add webhook" in response.text


def test_list_escapes_user_input(client_logged_in):
    WebhookEndpointFactory(description="<script>alert(1)</script>")

    response = client_logged_in.get("/webhooks/")

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_failing_endpoint_is_flagged(client_logged_in):
    WebhookEndpointFactory(enabled=False, disabled_reason="failing")

    response = client_logged_in.get("/webhooks/")

    assert "Disabled after failures" in response.text


def test_add_shows_url_errors_next_to_the_field(client_logged_in):
    response = client_logged_in.post(
        "/webhooks/new/", {"url": "ftp://example.com", "events": ["product.created"]}
    )

    assert response.status_code == 200
    assert 'id="url-error"' in response.text
    assert "Use an http:// or https:// URL." in response.text
    assert not WebhookEndpoint.objects.exists()


def test_add_creates_and_redirects_to_the_detail(client_logged_in):
    response = client_logged_in.post(
        "/webhooks/new/",
        {
            "url": "https://example.com/hook",
            "events": ["product.created", "import.failed"],
            "enabled": "on",
        },
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response.url == f"/webhooks/{endpoint.pk}/"
    assert endpoint.events == ["product.created", "import.failed"]
    detail = client_logged_in.get(response.url)
    assert endpoint.secret in detail.text
    assert "How a receiver verifies a delivery" in detail.text


def test_toggle_returns_the_row_with_a_toast(client_logged_in):
    endpoint = WebhookEndpointFactory()

    response = client_logged_in.post(f"/webhooks/{endpoint.pk}/toggle/", {})

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert f'id="webhook-{endpoint.pk}"' in response.text
    assert "showToast" in response["HX-Trigger"]


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/webhooks/")

    assert response.status_code == 302
    assert "/login/" in response.url
