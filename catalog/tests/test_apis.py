import csv
import io
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from catalog.models import Product
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/products/"


def detail_url(product_id: int) -> str:
    return f"/api/products/{product_id}/"


def skus(response) -> list[str]:
    return [product["sku"] for product in response.json()["results"]]


# --- list -------------------------------------------------------------------


def test_list_is_paginated_with_exact_count(api_client):
    ProductFactory.create_batch(3)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert set(body["results"][0]) == {
        "id",
        "sku",
        "name",
        "description",
        "active",
        "created_at",
        "updated_at",
    }


def test_list_requires_authentication():
    response = APIClient().get(LIST_URL)

    assert response.status_code == 401


def test_list_accepts_token_authentication(user):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get(LIST_URL).status_code == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sku": "abc"}, ["xABC-1"]),
        ({"name": "WIDGET"}, ["xABC-1", "other"]),
        ({"description": "blue"}, ["other"]),
        ({"q": "abc"}, ["xABC-1"]),
        ({"q": "blue"}, ["other"]),
        ({"q": "gadget"}, ["third"]),
        ({"active": "false"}, ["third"]),
        ({"active": "true"}, ["xABC-1", "other"]),
        ({"name": "widget", "description": "red"}, ["xABC-1"]),
    ],
)
def test_list_filters_contain_ignoring_case(api_client, params, expected):
    ProductFactory(sku="xABC-1", name="Red widget", description="A red one")
    ProductFactory(sku="other", name="Big Widget", description="Blue as the sky")
    ProductFactory(sku="third", name="Gadget", description="", active=False)

    response = api_client.get(LIST_URL, params)

    assert response.status_code == 200
    assert skus(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("sku", ["a-1", "B-2", "c-3"]),
        ("-sku", ["c-3", "B-2", "a-1"]),
        ("name", ["c-3", "a-1", "B-2"]),
        ("-name", ["B-2", "a-1", "c-3"]),
        ("created_at", ["B-2", "c-3", "a-1"]),
        ("-created_at", ["a-1", "c-3", "B-2"]),
        ("updated_at", ["B-2", "c-3", "a-1"]),
        ("-updated_at", ["a-1", "c-3", "B-2"]),
        ("", ["B-2", "c-3", "a-1"]),
    ],
)
def test_list_ordering(api_client, ordering, expected):
    ProductFactory(sku="B-2", name="zeta")
    ProductFactory(sku="c-3", name="alpha")
    ProductFactory(sku="a-1", name="mu")

    response = api_client.get(LIST_URL, {"ordering": ordering})

    assert response.status_code == 200
    assert skus(response) == expected


def test_list_pages_with_page_and_page_size(api_client):
    ProductFactory.create_batch(5)

    first = api_client.get(LIST_URL, {"page_size": 2})
    second = api_client.get(first.json()["next"])
    last = api_client.get(LIST_URL, {"page_size": 2, "page": "last"})

    assert first.json()["count"] == 5
    assert len(first.json()["results"]) == 2
    assert "page=2" in first.json()["next"]
    assert "page_size=2" in first.json()["next"]
    assert second.json()["previous"].endswith("?page_size=2")
    assert "page=3" in second.json()["next"]
    assert len(last.json()["results"]) == 1
    assert last.json()["next"] is None


def test_list_defaults_to_50_per_page_and_allows_200(api_client):
    ProductFactory.create_batch(201)

    default = api_client.get(LIST_URL)
    biggest = api_client.get(LIST_URL, {"page_size": 200})

    assert len(default.json()["results"]) == 50
    assert len(biggest.json()["results"]) == 200
    assert biggest.json()["count"] == 201


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"active": "maybe"}, "active"),
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "id; drop table"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
    ],
)
def test_list_rejects_invalid_parameters_with_400(api_client, params, field):
    response = api_client.get(LIST_URL, params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc"])
def test_list_page_that_does_not_exist_is_404(api_client, page):
    ProductFactory()

    response = api_client.get(LIST_URL, {"page": page})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_list_of_empty_catalog_is_an_empty_first_page(api_client):
    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_list_count_follows_writes_through_the_api(api_client):
    ProductFactory.create_batch(2)
    assert api_client.get(LIST_URL).json()["count"] == 2

    api_client.post(LIST_URL, {"sku": "NEW-1"}, format="json")
    assert api_client.get(LIST_URL).json()["count"] == 3

    product = Product.objects.get(sku="NEW-1")
    api_client.delete(detail_url(product.id))
    assert api_client.get(LIST_URL).json()["count"] == 2


def test_list_count_notices_writes_that_bypass_the_services(api_client):
    # given a cached count
    ProductFactory.create_batch(2)
    assert api_client.get(LIST_URL).json()["count"] == 2

    # when rows arrive without catalog_changed() (as a raw import would)
    ProductFactory.create_batch(3)

    # then the fingerprint in the cache key retires the cached count
    assert api_client.get(LIST_URL).json()["count"] == 5


# --- create / retrieve / update / delete -------------------------------------


def test_create_returns_201_with_trimmed_sku(api_client):
    response = api_client.post(
        LIST_URL,
        {"sku": "  ABC-1 ", "name": "Widget", "description": "d", "active": False},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["sku"] == "ABC-1"
    assert body["active"] is False
    assert Product.objects.get(id=body["id"]).sku == "ABC-1"


def test_create_defaults_optional_fields(api_client):
    response = api_client.post(LIST_URL, {"sku": "ONLY-SKU"}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == ""
    assert response.json()["active"] is True


@pytest.mark.parametrize("sku", [None, "", "   "])
def test_create_requires_sku(api_client, sku):
    payload = {"name": "x"} if sku is None else {"sku": sku}

    response = api_client.post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert "sku" in response.json()


def test_create_rejects_sku_that_differs_only_in_case(api_client):
    ProductFactory(sku="ABC-1")

    response = api_client.post(LIST_URL, {"sku": "abc-1"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"sku": ["A product with SKU ABC-1 already exists."]}
    assert Product.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_create_race_on_same_sku_is_400_not_500(user, monkeypatch):
    # given two requests that both pass the "is this SKU free?" check
    import catalog.services

    barrier = threading.Barrier(2)
    original_check = catalog.services._check_sku_free

    def check_then_wait(**kwargs):
        original_check(**kwargs)
        barrier.wait(5)

    monkeypatch.setattr(catalog.services, "_check_sku_free", check_then_wait)
    responses = []

    def post(sku: str):
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            responses.append(client.post(LIST_URL, {"sku": sku}, format="json"))
        finally:
            connection.close()

    # when they insert at the same moment on two connections
    threads = [threading.Thread(target=post, args=(sku,)) for sku in ("DUP", "dup")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # then one wins and the other is told about the collision
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 400]
    loser = next(r for r in responses if r.status_code == 400)
    winner = Product.objects.get().sku
    assert loser.json() == {"sku": [f"A product with SKU {winner} already exists."]}


def test_create_rejects_too_long_values(api_client):
    response = api_client.post(
        LIST_URL, {"sku": "x" * 256, "name": "y" * 256}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"sku", "name"}


def test_retrieve_returns_the_product(api_client):
    product = ProductFactory(sku="R-1")

    response = api_client.get(detail_url(product.id))

    assert response.status_code == 200
    assert response.json()["sku"] == "R-1"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_product_is_404(api_client, method):
    response = getattr(api_client, method)(
        detail_url(999999), {"sku": "x"}, format="json"
    )

    assert response.status_code == 404


def test_put_replaces_the_product(api_client):
    product = ProductFactory(sku="P-1", name="old", active=True)

    response = api_client.put(
        detail_url(product.id),
        {"sku": "P-1b", "name": "new", "description": "", "active": False},
        format="json",
    )

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.sku, product.name, product.active) == ("P-1b", "new", False)


def test_put_requires_sku(api_client):
    product = ProductFactory()

    response = api_client.put(detail_url(product.id), {"name": "n"}, format="json")

    assert response.status_code == 400
    assert "sku" in response.json()


def test_patch_changes_only_given_fields(api_client):
    product = ProductFactory(sku="P-2", name="keep", active=True)

    response = api_client.patch(
        detail_url(product.id), {"active": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "keep"
    assert response.json()["active"] is False


def test_patch_may_change_the_case_of_its_own_sku(api_client):
    product = ProductFactory(sku="abc-1")

    response = api_client.patch(detail_url(product.id), {"sku": "ABC-1"}, format="json")

    assert response.status_code == 200
    assert response.json()["sku"] == "ABC-1"


def test_patch_rejects_sku_of_another_product_in_other_case(api_client):
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="mine")

    response = api_client.patch(detail_url(product.id), {"sku": "taken"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"sku": ["A product with SKU TAKEN already exists."]}


def test_delete_returns_204(api_client):
    product = ProductFactory()

    response = api_client.delete(detail_url(product.id))

    assert response.status_code == 204
    assert not Product.objects.exists()


# --- bulk delete ---------------------------------------------------------------


def test_bulk_delete_deletes_everything_and_says_how_many(api_client):
    ProductFactory.create_batch(4)

    response = api_client.delete("/api/products/bulk-delete/")

    assert response.status_code == 200
    assert response.json() == {"deleted": 4}
    assert not Product.objects.exists()
    assert api_client.get(LIST_URL).json()["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_bulk_delete_is_409_while_an_import_holds_the_lock(
    api_client, catalog_lock_held_elsewhere
):
    ProductFactory.create_batch(2)

    with catalog_lock_held_elsewhere():
        response = api_client.delete("/api/products/bulk-delete/")

    assert response.status_code == 409
    assert "import is running" in response.json()["detail"]
    assert Product.objects.count() == 2


# --- export ------------------------------------------------------------------


def read_export(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_export_streams_the_filtered_products_as_csv(api_client):
    ProductFactory(sku="E-1", name="Red, big", description='say "hi"\nline 2')
    ProductFactory(sku="E-2", name="Blue", active=False)

    response = api_client.get("/api/products/export.csv", {"active": "true"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert read_export(response) == [
        ["sku", "name", "description", "active"],
        ["E-1", "Red, big", 'say "hi"\nline 2', "true"],
    ]


def test_export_neutralises_spreadsheet_formulas(api_client):
    ProductFactory(sku="=1+1", name="+cmd", description="-2")
    ProductFactory(sku="@SUM(A1)", name="\tx", description="\rboom")
    ProductFactory(sku="safe", name="a=b", description="")

    rows = read_export(api_client.get("/api/products/export.csv"))

    assert rows[1][:3] == ["'=1+1", "'+cmd", "'-2"]
    assert rows[2][:3] == ["'@SUM(A1)", "'\tx", "'\rboom"]
    assert rows[3][:3] == ["safe", "a=b", ""]


def test_export_covers_every_row_across_chunks(api_client, monkeypatch):
    monkeypatch.setattr("catalog.selectors.EXPORT_CHUNK_ROWS", 3)
    ProductFactory.create_batch(10)

    rows = read_export(api_client.get("/api/products/export.csv"))

    assert len(rows) == 11
    assert len({row[0] for row in rows[1:]}) == 10


def test_export_rejects_invalid_filter(api_client):
    response = api_client.get("/api/products/export.csv", {"active": "maybe"})

    assert response.status_code == 400


# --- schema --------------------------------------------------------------------


def test_openapi_schema_documents_the_products_api(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/products/",
        "/api/products/{product_id}/",
        "/api/products/bulk-delete/",
        "/api/products/export.csv",
    } <= set(paths)
    parameters = {p["name"] for p in paths["/api/products/"]["get"]["parameters"]}
    assert {
        "sku",
        "name",
        "description",
        "q",
        "active",
        "ordering",
        "page",
        "page_size",
    } <= parameters


def test_list_results_match_the_product_serializer_exactly(api_client):
    from catalog.serializers import ProductSerializer

    product = ProductFactory(description="x" * 50)

    listed = api_client.get(LIST_URL).json()["results"][0]

    assert listed == api_client.get(detail_url(product.id)).json()
    assert listed == dict(ProductSerializer(product).data)


def test_page_ids_are_cached_but_rows_and_changes_show(
    api_client, django_capture_on_commit_callbacks
):
    products = ProductFactory.create_batch(5)
    params = {"page_size": 2, "page": 2}
    assert skus(api_client.get(LIST_URL, params)) == [p.sku for p in products[2:4]]

    # a rename through the API shows at once (rows are read fresh) ...
    api_client.patch(detail_url(products[2].id), {"name": "renamed"}, format="json")
    results = api_client.get(LIST_URL, params).json()["results"]
    assert results[0]["name"] == "renamed"

    # ... and a deletion retires the cached ids once it commits
    with django_capture_on_commit_callbacks(execute=True):
        api_client.delete(detail_url(products[2].id))
    assert skus(api_client.get(LIST_URL, params)) == [p.sku for p in products[3:5]]
