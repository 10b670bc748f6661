import pytest

from catalog.models import Product
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "product-results"}


@pytest.fixture
def client_logged_in(client, user):
    client.force_login(user)
    return client


def test_products_page_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_empty_catalog_offers_import_and_add(client_logged_in):
    response = client_logged_in.get("/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "No products yet — import a CSV or add one." in content
    assert 'href="/imports/"' in content
    assert "Add product" in content


def test_page_shows_range_and_total_with_thousands_separator(client_logged_in):
    ProductFactory.create_batch(3)

    content = client_logged_in.get("/?page_size=25").content.decode()

    assert "1–3 of 3" in content


def test_product_text_is_escaped(client_logged_in):
    ProductFactory(sku="X<1>", name="<script>alert(1)</script>")

    content = client_logged_in.get("/").content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_htmx_filter_request_gets_only_the_results(client_logged_in):
    ProductFactory(sku="KEEP-1", name="Lamp")
    ProductFactory(sku="DROP-1", name="Chair")

    response = client_logged_in.get("/?q=lamp", **HTMX_RESULTS)

    content = response.content.decode()
    assert "<html" not in content
    assert "KEEP-1" in content and "DROP-1" not in content
    assert 'hx-swap-oob="true"' in content


def test_invalid_parameters_fall_back_instead_of_failing(client_logged_in):
    ProductFactory()

    response = client_logged_in.get("/?active=maybe&ordering=bogus&page_size=0&page=99")

    assert response.status_code == 200
    assert "1–1 of 1" in response.content.decode()


def test_create_shows_case_insensitive_sku_error_next_to_field(client_logged_in):
    ProductFactory(sku="ABC-1")

    response = client_logged_in.post("/products/new/", {"sku": "abc-1"})

    content = response.content.decode()
    assert 'id="create-sku-error"' in content
    assert "A product with SKU ABC-1 already exists." in content
    assert Product.objects.count() == 1


def test_create_success_triggers_refresh_and_toast(client_logged_in):
    response = client_logged_in.post("/products/new/", {"sku": "NEW", "active": "on"})

    assert response.status_code == 200
    assert "productsChanged" in response["HX-Trigger"]
    assert "Product NEW created." in response["HX-Trigger"]
    assert Product.objects.get().active is True


def test_inline_edit_saves_and_returns_the_row(client_logged_in):
    product = ProductFactory(sku="E-1", name="old")

    response = client_logged_in.post(
        f"/products/{product.id}/edit/",
        {"sku": "E-1", "name": "new", "description": "", "active": "on"},
    )

    product.refresh_from_db()
    assert product.name == "new"
    assert f'id="product-{product.id}"' in response.content.decode()


def test_toggle_active(client_logged_in):
    product = ProductFactory(active=True)

    client_logged_in.post(f"/products/{product.id}/active/", {})

    product.refresh_from_db()
    assert product.active is False


def test_bulk_actions(client_logged_in):
    first, second, third = ProductFactory.create_batch(3)

    client_logged_in.post(
        "/products/bulk/", {"action": "deactivate", "ids": [first.id, second.id]}
    )
    assert set(Product.objects.filter(active=False)) == {first, second}

    client_logged_in.post("/products/bulk/", {"action": "delete", "ids": [third.id]})
    assert not Product.objects.filter(id=third.id).exists()


def test_delete_all(client_logged_in):
    ProductFactory.create_batch(2)

    response = client_logged_in.post("/products/delete-all/")

    assert "Deleted all 2 products." in response["HX-Trigger"]
    assert not Product.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_delete_all_is_refused_while_an_import_holds_the_lock(
    client, user, catalog_lock_held_elsewhere
):
    client.force_login(user)
    ProductFactory()

    with catalog_lock_held_elsewhere():
        response = client.post("/products/delete-all/")

    assert "An import is running" in response["HX-Trigger"]
    assert '"kind": "error"' in response["HX-Trigger"]
    assert Product.objects.count() == 1
