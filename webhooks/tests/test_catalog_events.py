"""The seam end to end: product changes through the API reach a receiver."""

import pytest

from catalog.models import Product
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_product_update_through_the_api_is_delivered_signed(
    api_client, receiver, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(url=receiver.url, events=["product.updated"])
    product = Product.objects.create(sku="ABC-1", name="Kettle")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(
            f"/api/products/{product.pk}/", {"name": "Steel kettle"}, format="json"
        )

    assert response.status_code == 200
    assert len(receiver.received) == 1
    envelope = receiver.received[0].json
    assert envelope["type"] == "product.updated"
    assert envelope["data"]["id"] == product.pk
    assert envelope["data"]["sku"] == "ABC-1"
    assert envelope["data"]["name"] == "Steel kettle"
    assert receiver.all_signed_by(endpoint.secret)


def test_product_delete_is_announced_with_id_and_sku(
    api_client, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(url=receiver.url, events=["product.deleted"])
    product = Product.objects.create(sku="DEL-1", name="Gone")

    with django_capture_on_commit_callbacks(execute=True):
        api_client.delete(f"/api/products/{product.pk}/")

    data = receiver.received[0].json["data"]
    assert (data["id"], data["sku"]) == (product.pk, "DEL-1")
