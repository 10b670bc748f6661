import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

import catalog.services
from catalog.models import Product
from catalog.selectors import ProductFilters, product_count
from catalog.services import (
    catalog_changed,
    product_bulk_delete,
    product_bulk_set_active,
    product_create,
    product_delete,
    product_delete_all,
    product_update,
)
from catalog.tests.factories import ProductFactory


@pytest.fixture
def recorded_events(monkeypatch):
    events = []
    monkeypatch.setattr(
        "catalog.services.event_record",
        lambda *, event_type, data: events.append((event_type, data)),
    )
    return events


@pytest.mark.django_db
def test_product_create_records_event_with_api_object(recorded_events):
    product = product_create(sku="EV-1", name="n")

    assert recorded_events == [
        (
            "product.created",
            {
                "id": product.id,
                "sku": "EV-1",
                "name": "n",
                "description": "",
                "active": True,
                "created_at": recorded_events[0][1]["created_at"],
                "updated_at": recorded_events[0][1]["updated_at"],
            },
        )
    ]


@pytest.mark.django_db
def test_product_update_and_delete_record_events(recorded_events):
    product = ProductFactory(sku="EV-2")

    product_update(product=product, name="renamed")
    product_id = product.id
    product_delete(product=product)

    assert [event_type for event_type, _ in recorded_events] == [
        "product.updated",
        "product.deleted",
    ]
    assert recorded_events[0][1]["name"] == "renamed"
    assert recorded_events[1][1]["id"] == product_id
    assert recorded_events[1][1]["sku"] == "EV-2"


@pytest.mark.django_db
def test_product_delete_all_records_one_event_with_the_count(recorded_events):
    ProductFactory.create_batch(3)

    assert product_delete_all() == 3

    assert recorded_events == [("products.bulk_deleted", {"count": 3})]


@pytest.mark.django_db
def test_bulk_set_active_changes_only_what_differs(recorded_events):
    active, inactive = ProductFactory(active=True), ProductFactory(active=False)

    changed = product_bulk_set_active(ids=[active.id, inactive.id], active=False)

    assert changed == 1
    assert not Product.objects.filter(active=True).exists()
    assert [event for event, _ in recorded_events] == ["product.updated"]


@pytest.mark.django_db
def test_bulk_delete_deletes_only_the_selection(recorded_events):
    keep, *gone = ProductFactory.create_batch(3)

    deleted = product_bulk_delete(ids=[product.id for product in gone])

    assert deleted == 2
    assert list(Product.objects.all()) == [keep]
    assert [event for event, _ in recorded_events] == ["product.deleted"] * 2


@pytest.mark.django_db
def test_event_failure_rolls_back_the_change(monkeypatch):
    def failing_event_record(*, event_type, data):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("catalog.services.event_record", failing_event_record)

    with pytest.raises(RuntimeError):
        product_create(sku="ROLLBACK")

    assert not Product.objects.exists()


@pytest.mark.django_db
def test_cached_count_is_retired_by_catalog_changed():
    ProductFactory.create_batch(2)
    assert product_count(filters=ProductFilters()) == 2

    # A deletion that bypasses the services leaves max(id)/max(updated_at)
    # as they were only if it removes an older row.
    Product.objects.order_by("id").first().delete()
    catalog_changed()

    assert product_count(filters=ProductFilters()) == 1


@pytest.mark.django_db
def test_counts_are_cached_per_filter_set():
    ProductFactory(name="red")
    ProductFactory(name="blue", active=False)

    assert product_count(filters=ProductFilters(name="red")) == 1
    assert product_count(filters=ProductFilters(active=False)) == 1
    assert product_count(filters=ProductFilters()) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_same_sku_in_other_case_give_one_validation_error(
    monkeypatch,
):
    # given two callers that both pass the "is this SKU free?" check
    barrier = threading.Barrier(2)
    original_check = catalog.services._check_sku_free

    def check_then_wait(**kwargs):
        original_check(**kwargs)
        barrier.wait(5)

    monkeypatch.setattr(catalog.services, "_check_sku_free", check_then_wait)
    outcomes: list[str] = []

    def create(sku: str):
        try:
            product_create(sku=sku)
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(error.message_dict["sku"][0])
        finally:
            connection.close()

    # when both insert at the same moment
    threads = [threading.Thread(target=create, args=(sku,)) for sku in ("RC-1", "rc-1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # then the unique constraint decides and the loser gets a field error
    winner = Product.objects.get().sku
    assert sorted(outcomes) == [
        f"A product with SKU {winner} already exists.",
        "created",
    ]


@pytest.mark.django_db
def test_count_waits_for_a_concurrent_count_of_the_same_filters(monkeypatch):
    # given another request is already counting these filters
    from django.core.cache import cache

    from catalog.selectors import product_count_cache_key

    ProductFactory.create_batch(2)
    filters = ProductFilters(name="product")
    key = product_count_cache_key(filters=filters)
    cache.add(f"{key}:computing", 1, 5)
    counted = []
    monkeypatch.setattr(
        "catalog.selectors.product_filter",
        lambda **kwargs: counted.append(kwargs) or Product.objects.none(),
    )

    # when its result lands while this one waits
    import threading

    threading.Timer(0.1, lambda: cache.set(key, 42, 60)).start()

    # then this request uses it instead of counting again
    assert product_count(filters=filters) == 42
    assert counted == []


def _products_table_maintenance_counts() -> tuple[int, int]:
    """How often the products table has been vacuumed and analyzed by hand."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT vacuum_count, analyze_count "
            "FROM pg_stat_user_tables WHERE relname = 'catalog_product'"
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_large_bulk_write_vacuums_and_analyzes_the_products_table():
    # given
    ProductFactory.create_batch(3)
    vacuums, analyzes = _products_table_maintenance_counts()

    # when: a bulk writer reports a large write (the task runs eagerly)
    catalog.services.catalog_rows_written(
        rows=catalog.services.STATISTICS_REFRESH_MIN_ROWS
    )

    # then
    assert _products_table_maintenance_counts() == (vacuums + 1, analyzes + 1)


@pytest.mark.django_db(transaction=True)
def test_small_bulk_write_leaves_maintenance_to_autovacuum():
    ProductFactory.create_batch(3)
    before = _products_table_maintenance_counts()

    catalog.services.catalog_rows_written(rows=3)

    assert _products_table_maintenance_counts() == before
