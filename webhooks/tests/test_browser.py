import re

import pytest
from playwright.sync_api import expect

from webhooks.models import WebhookEndpoint
from webhooks.tests.factories import WebhookEndpointFactory
from webhooks.tests.receiver import Reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_webhook(logged_in_page, live_server, receiver):
    page = logged_in_page
    page.goto(f"{live_server.url}/webhooks/")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()

    page.get_by_role("link", name="Add webhook").first.click()
    page.get_by_label("Endpoint URL").fill("ftp://example.com/hook")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator("#url-error")).to_have_text("Use an http:// or https:// URL.")

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("import.failed").uncheck()
    page.get_by_label("Description").fill("ERP sync")
    page.get_by_role("button", name="Add webhook").click()

    expect(page.get_by_role("heading", name=receiver.url)).to_be_visible()
    expect(page.get_by_text(f"Webhook {receiver.url} added.")).to_be_visible()
    endpoint = WebhookEndpoint.objects.get()
    assert "import.failed" not in endpoint.events
    assert endpoint.description == "ERP sync"


def test_send_test_shows_code_and_time(logged_in_page, live_server, receiver):
    WebhookEndpointFactory(url=receiver.url)
    receiver.replies = [Reply(status=200, body=b"received", delay=0.4)]
    page = logged_in_page
    page.goto(f"{live_server.url}/webhooks/")

    page.get_by_role("button", name="Send test").click()

    expect(page.locator(".test-outcome")).to_have_text(re.compile(r"^200 OK · \d+ ms$"))
    assert receiver.received[0].json["type"] == "webhook.test"


def test_send_test_shows_connection_refused(
    logged_in_page, live_server, refused_url, private_networks_allowed
):
    endpoint = WebhookEndpointFactory(url=refused_url)
    page = logged_in_page
    page.goto(f"{live_server.url}/webhooks/{endpoint.pk}/")

    page.get_by_role("button", name="Send test").click()

    expect(page.locator(".test-outcome")).to_have_text("Connection refused")
    page.reload()
    page.locator("details.delivery summary").first.click()
    expect(page.locator(".attempt .field-error")).to_have_text("Connection refused")


def test_toggle_a_webhook(logged_in_page, live_server):
    endpoint = WebhookEndpointFactory()
    page = logged_in_page
    page.goto(f"{live_server.url}/webhooks/")

    switch = page.get_by_label(f"Enabled: {endpoint.url}")
    expect(switch).to_be_checked()
    switch.click()

    expect(page.get_by_text(f"Webhook {endpoint.url} disabled.")).to_be_visible()
    expect(page.get_by_label(f"Enabled: {endpoint.url}")).not_to_be_checked()
    endpoint.refresh_from_db()
    assert not endpoint.enabled


def test_delete_a_webhook_after_confirming(logged_in_page, live_server):
    endpoint = WebhookEndpointFactory()
    page = logged_in_page
    page.goto(f"{live_server.url}/webhooks/")
    messages = []

    def confirm(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", confirm)
    page.get_by_role("button", name="Delete").click()

    expect(page.get_by_text(f"Webhook {endpoint.url} deleted.")).to_be_visible()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    assert "cannot be undone" in messages[0]
    assert not WebhookEndpoint.objects.exists()


def test_reveal_the_secret(logged_in_page, live_server):
    endpoint = WebhookEndpointFactory()
    page = logged_in_page
    page.goto(f"{live_server.url}/webhooks/{endpoint.pk}/")

    secret = page.get_by_label("Signing secret")
    expect(secret).to_have_attribute("type", "password")
    page.get_by_role("button", name="Reveal").click()

    expect(secret).to_have_attribute("type", "text")
    expect(secret).to_have_value(endpoint.secret)
