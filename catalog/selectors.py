"""Reads of the catalog: filtering, exact counts, pages and export rows.

The table holds half a million rows, so every read here is shaped for an
index: "contains" filters hit the trigram GIN indexes, every sort order has a
b-tree that ends with a unique key, and pages are fetched as ids first (an
index-only scan, cheap even at a deep OFFSET) and rows second.
"""

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Max, OrderBy, Q, QuerySet
from django.db.models.functions import Lower

from catalog.models import Product

# Public ordering names (as the API spells them) and the SQL order that serves
# each one. SKU sorts case-insensitively, like it is unique: the unique index
# on lower(sku) then serves the sort.
ORDERINGS: dict[str, list] = {
    "sku": [Lower("sku").asc()],
    "-sku": [Lower("sku").desc()],
    "name": [F("name").asc(), F("id").asc()],
    "-name": [F("name").desc(), F("id").desc()],
    "created_at": [F("created_at").asc(), F("id").asc()],
    "-created_at": [F("created_at").desc(), F("id").desc()],
    "updated_at": [F("updated_at").asc(), F("id").asc()],
    "-updated_at": [F("updated_at").desc(), F("id").desc()],
}
ORDERING_CHOICES = list(ORDERINGS)
DEFAULT_ORDER: list[OrderBy] = [F("id").asc()]

CATALOG_VERSION_KEY = "catalog:version"
COUNT_CACHE_DEFAULT_SECONDS = 300
# How long a request waits for another one counting the same filters.
COUNT_SINGLE_FLIGHT_SECONDS = 5
EXPORT_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class ProductFilters:
    """The list filters; empty strings and ``None`` mean "not filtered"."""

    sku: str = ""
    name: str = ""
    description: str = ""
    q: str = ""
    active: bool | None = None

    def is_empty(self) -> bool:
        return self == ProductFilters()


def product_filter(*, filters: ProductFilters) -> QuerySet[Product]:
    """Products matching ``filters``, unordered."""
    queryset = Product.objects.all()
    if filters.sku:
        queryset = queryset.filter(sku__icontains=filters.sku)
    if filters.name:
        queryset = queryset.filter(name__icontains=filters.name)
    if filters.description:
        queryset = queryset.filter(description__icontains=filters.description)
    if filters.q:
        queryset = queryset.filter(
            Q(sku__icontains=filters.q)
            | Q(name__icontains=filters.q)
            | Q(description__icontains=filters.q)
        )
    if filters.active is not None:
        queryset = queryset.filter(active=filters.active)
    return queryset.order_by()


def product_list(
    *, filters: ProductFilters | None = None, ordering: str = ""
) -> QuerySet[Product]:
    """Products matching ``filters`` in the given public ordering."""
    queryset = product_filter(filters=filters or ProductFilters())
    return queryset.order_by(*ORDERINGS.get(ordering, DEFAULT_ORDER))


PRODUCT_PAGE_FIELDS = (
    "id",
    "sku",
    "name",
    "description",
    "active",
    "created_at",
    "updated_at",
)


def product_page(
    *, filters: ProductFilters, ordering: str, offset: int, limit: int
) -> list[dict]:
    """One page of products, as dicts of ``PRODUCT_PAGE_FIELDS``.

    The ids are picked first: that query reads only an index, so skipping
    250,000 entries for a deep page costs milliseconds instead of reading
    250,000 rows. The rows themselves are then fetched by primary key, as
    plain dicts: building model instances would cost more than the query.
    """

    def page_ids() -> list[int]:
        queryset = product_list(filters=filters, ordering=ordering)
        return list(queryset.values_list("id", flat=True)[offset : offset + limit])

    timeout = _count_cache_seconds()
    if timeout <= 0:
        ids = page_ids()
    else:
        # Skipping 250,000 index entries for a deep page, or collecting the
        # ~26,000 matches of a common "contains" term before sorting them,
        # takes tens of milliseconds; so a page's ids are cached like counts
        # (and retired by the same catalog changes), while its rows are always
        # read fresh.
        key = _catalog_state_key(
            "page",
            filters=filters,
            ordering=ordering,
            offset=offset,
            limit=limit,
        )
        ids = cache.get(key)
        if ids is None:
            ids = page_ids()
            cache.set(key, ids, timeout)
    by_id = {
        row["id"]: row
        for row in Product.objects.filter(id__in=ids).values(*PRODUCT_PAGE_FIELDS)
    }
    return [by_id[product_id] for product_id in ids if product_id in by_id]


def catalog_version() -> int:
    """The catalog's write counter (see ``catalog.services.catalog_changed``)."""
    return cache.get(CATALOG_VERSION_KEY, 0)


def _catalog_fingerprint() -> list:
    # Two index lookups (~0.1 ms) that change whenever rows are inserted or
    # rewritten with a fresh updated_at, even by a writer that forgot to call
    # catalog_changed(). Deletions are caught by the version and the TTL.
    fingerprint = Product.objects.aggregate(
        max_id=Max("id"), max_updated_at=Max("updated_at")
    )
    return [
        fingerprint["max_id"],
        fingerprint["max_updated_at"].isoformat()
        if fingerprint["max_updated_at"]
        else None,
    ]


def _catalog_state_key(kind: str, **parts) -> str:
    """A cache key that changes with the catalog (version and fingerprint)."""
    state = {
        **{
            name: asdict(value) if name == "filters" else value
            for name, value in parts.items()
        },
        "version": catalog_version(),
        "fingerprint": _catalog_fingerprint(),
    }
    digest = hashlib.sha256(
        json.dumps(state, sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"catalog:{kind}:{digest}"


def product_count_cache_key(*, filters: ProductFilters) -> str:
    return _catalog_state_key("count", filters=filters)


def _count_cache_seconds() -> int:
    return getattr(settings, "CATALOG_COUNT_CACHE_SECONDS", COUNT_CACHE_DEFAULT_SECONDS)


def product_count(*, filters: ProductFilters) -> int:
    """The exact number of products matching ``filters``.

    An exact COUNT over half a million rows costs tens of milliseconds, so
    the result is cached until the catalog changes. Three things retire a
    cached count: the catalog version (bumped after every committed write by
    ``catalog_changed()``), a fingerprint of the table (max id and max
    updated_at, which also catches writers that do not bump the version) and
    a TTL (``CATALOG_COUNT_CACHE_SECONDS``) as the last resort.
    """
    timeout = _count_cache_seconds()
    if timeout <= 0:
        return product_filter(filters=filters).count()
    key = product_count_cache_key(filters=filters)
    count = cache.get(key)
    if count is not None:
        return count
    # One request counts; others asking for the same filters meanwhile wait
    # for its result instead of running the same COUNT side by side.
    computing_key = f"{key}:computing"
    if not cache.add(computing_key, 1, COUNT_SINGLE_FLIGHT_SECONDS):
        deadline = time.monotonic() + COUNT_SINGLE_FLIGHT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.01)
            count = cache.get(key)
            if count is not None:
                return count
    try:
        count = product_filter(filters=filters).count()
        cache.set(key, count, timeout)
    finally:
        cache.delete(computing_key)
    return count


def product_sku_owner(*, sku: str, exclude_id: int | None = None) -> Product | None:
    """The product whose SKU equals ``sku`` ignoring case, if any."""
    queryset = Product.objects.annotate(sku_lower=Lower("sku")).filter(
        sku_lower=sku.lower()
    )
    if exclude_id is not None:
        queryset = queryset.exclude(id=exclude_id)
    return queryset.first()


def product_export_rows(
    *, filters: ProductFilters, chunk_rows: int | None = None
) -> Iterator[list[tuple]]:
    """Chunks of ``(sku, name, description, active)`` in id order.

    Keyset pagination (``id > last``) keeps each query short and the memory
    flat however many rows match; no transaction stays open between chunks.
    """
    chunk_rows = chunk_rows or EXPORT_CHUNK_ROWS
    queryset = product_filter(filters=filters).order_by("id")
    last_id = 0
    while True:
        chunk = list(
            queryset.filter(id__gt=last_id).values_list(
                "id", "sku", "name", "description", "active"
            )[:chunk_rows]
        )
        if not chunk:
            return
        last_id = chunk[-1][0]
        yield [row[1:] for row in chunk]
        if len(chunk) < chunk_rows:
            return
