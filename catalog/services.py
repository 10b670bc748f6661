"""Writes to the catalog.

Every write announces itself through ``webhooks.events.event_record`` inside
its transaction and, once committed, bumps the catalog version so cached
counts are recomputed.
"""

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from catalog.locks import catalog_write_lock
from catalog.models import Product
from catalog.selectors import CATALOG_VERSION_KEY, product_sku_owner
from webhooks.events import event_record

SKU_UNIQUE_CONSTRAINT = "catalog_product_sku_lower_uniq"

logger = logging.getLogger(__name__)


# A write this large refreshes the table's planner statistics and visibility
# map at once rather than whenever autovacuum gets to it (never, where it is
# off): right after a 500,000-row import, stale statistics and an unset
# visibility map made list pages and exact counts several times slower.
STATISTICS_REFRESH_MIN_ROWS = 10_000


def catalog_rows_written(*, rows: int) -> None:
    """Call after committing a bulk write (the CSV import) of ``rows`` rows."""
    catalog_changed()
    if rows < STATISTICS_REFRESH_MIN_ROWS:
        return
    from catalog.tasks import catalog_statistics_refresh_task

    try:
        catalog_statistics_refresh_task.delay()
    except Exception:  # broker down: autovacuum remains the fallback
        logger.warning("could not queue the catalog statistics refresh", exc_info=True)


def catalog_statistics_refresh() -> None:
    """VACUUM (ANALYZE) the products table: fresh statistics for the planner
    and a visibility map for index-only scans (counts, page ids)."""
    table = connection.ops.quote_name(Product._meta.db_table)
    # VACUUM cannot run inside a transaction block; ANALYZE can.
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{statement} {table}")


def catalog_changed() -> None:
    """Retires every cached count. Call it after committing product writes.

    The catalog services call it themselves; anything else that writes
    products (the CSV import) should call it after each commit. Cached
    counts are still safe without it for inserts and updates (see
    ``catalog.selectors.product_count``), but deletions need it or the TTL.
    """
    # add() then incr() is atomic in Redis and never resets a running counter.
    cache.add(CATALOG_VERSION_KEY, 0, None)
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:  # evicted between add() and incr()
        cache.set(CATALOG_VERSION_KEY, 1, None)


def _catalog_changed_on_commit() -> None:
    transaction.on_commit(catalog_changed)


def product_event_data(*, product: Product) -> dict:
    """The product as the API shows it: the payload of product events."""
    from catalog.serializers import ProductSerializer

    return dict(ProductSerializer(product).data)


def _sku_taken_error(*, sku: str, exclude_id: int | None) -> ValidationError:
    owner = product_sku_owner(sku=sku, exclude_id=exclude_id)
    return ValidationError(
        {"sku": [f"A product with SKU {owner.sku if owner else sku} already exists."]}
    )


def _is_sku_collision(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == SKU_UNIQUE_CONSTRAINT


def _sku_clean(sku: str) -> str:
    sku = (sku or "").strip()
    if not sku:
        raise ValidationError({"sku": ["SKU is required."]})
    return sku


def _check_sku_free(*, sku: str, exclude_id: int | None) -> None:
    if product_sku_owner(sku=sku, exclude_id=exclude_id) is not None:
        raise _sku_taken_error(sku=sku, exclude_id=exclude_id)


def product_create(
    *, sku: str, name: str = "", description: str = "", active: bool = True
) -> Product:
    """Creates a product; its SKU must be unique ignoring case.

    Raises ``ValidationError`` ({"sku": [...]}) on a collision, also when
    another request inserts the same SKU at the same moment.
    """
    sku = _sku_clean(sku)
    _check_sku_free(sku=sku, exclude_id=None)
    try:
        with transaction.atomic():
            product = Product.objects.create(
                sku=sku, name=name, description=description, active=active
            )
            event_record(
                event_type="product.created",
                data=product_event_data(product=product),
            )
            _catalog_changed_on_commit()
    except IntegrityError as error:
        if _is_sku_collision(error):
            raise _sku_taken_error(sku=sku, exclude_id=None)
        raise
    return product


def product_update(
    *,
    product: Product,
    sku: str | None = None,
    name: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Product:
    """Changes the given fields (``None`` leaves a field as it is)."""
    if sku is not None:
        sku = _sku_clean(sku)
        if sku.lower() != product.sku.lower():
            _check_sku_free(sku=sku, exclude_id=product.id)
    changes = {
        "sku": sku,
        "name": name,
        "description": description,
        "active": active,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(product, field, value)
    try:
        with transaction.atomic():
            product.save()
            event_record(
                event_type="product.updated",
                data=product_event_data(product=product),
            )
            _catalog_changed_on_commit()
    except IntegrityError as error:
        if _is_sku_collision(error):
            raise _sku_taken_error(sku=product.sku, exclude_id=product.id)
        raise
    return product


def product_delete(*, product: Product) -> None:
    with transaction.atomic():
        data = product_event_data(product=product)
        product.delete()
        event_record(event_type="product.deleted", data=data)
        _catalog_changed_on_commit()


def product_bulk_set_active(*, ids: Iterable[int], active: bool) -> int:
    """Activates or deactivates the given products; returns how many changed."""
    with transaction.atomic():
        products = list(
            Product.objects.select_for_update()
            .filter(id__in=list(ids))
            .exclude(active=active)
            .order_by("id")
        )
        for product in products:
            product.active = active
            product.save(update_fields=["active", "updated_at"])
            event_record(
                event_type="product.updated",
                data=product_event_data(product=product),
            )
        _catalog_changed_on_commit()
    return len(products)


def product_bulk_delete(*, ids: Iterable[int]) -> int:
    """Deletes the given products (a selection); returns how many went."""
    with transaction.atomic():
        products = list(
            Product.objects.select_for_update().filter(id__in=list(ids)).order_by("id")
        )
        for product in products:
            event_record(
                event_type="product.deleted",
                data=product_event_data(product=product),
            )
        Product.objects.filter(id__in=[product.id for product in products]).delete()
        _catalog_changed_on_commit()
    return len(products)


def product_delete_all() -> int:
    """Deletes every product; returns how many there were.

    Serialises with imports on the catalog write lock and raises
    ``catalog.locks.CatalogWriteLockBusy`` at once while one runs. TRUNCATE
    empties half a million rows in milliseconds where DELETE would take
    seconds and leave the table bloated; the ACCESS EXCLUSIVE lock taken
    first makes the reported count exactly what was removed.
    """
    with catalog_write_lock(wait=False), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {Product._meta.db_table} IN ACCESS EXCLUSIVE MODE"
            )
            cursor.execute(f"SELECT count(*) FROM {Product._meta.db_table}")
            deleted = cursor.fetchone()[0]
            cursor.execute(f"TRUNCATE {Product._meta.db_table}")
        event_record(event_type="products.bulk_deleted", data={"count": deleted})
        _catalog_changed_on_commit()
    return deleted
