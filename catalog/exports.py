"""The products CSV export: streamed, in constant memory, safe for spreadsheets."""

import csv
import io
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from catalog.selectors import ProductFilters, product_export_rows

EXPORT_COLUMNS = ["sku", "name", "description", "active"]
# A spreadsheet runs a cell that starts with one of these as a formula (tab and
# carriage return too: some programs strip them and then see the formula).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_neutralise(value: str) -> str:
    """Prefixes a would-be formula with ``'`` (OWASP's CSV injection advice)."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_chunk(rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for sku, name, description, active in rows:
        writer.writerow(
            [
                csv_cell_neutralise(sku),
                csv_cell_neutralise(name),
                csv_cell_neutralise(description),
                "true" if active else "false",
            ]
        )
    return buffer.getvalue().encode()


def _header() -> bytes:
    return (",".join(EXPORT_COLUMNS) + "\r\n").encode()


def product_export_csv_chunks(*, filters: ProductFilters) -> Iterator[bytes]:
    yield _header()
    for rows in product_export_rows(filters=filters):
        yield _csv_chunk(rows)


async def _product_export_csv_chunks_async(
    *, filters: ProductFilters
) -> AsyncIterator[bytes]:
    # Under ASGI Django would collect a synchronous iterator into a list
    # before sending it, so each chunk is fetched in the sync thread instead.
    chunks = product_export_csv_chunks(filters=filters)
    next_chunk = sync_to_async(lambda: next(chunks, None))
    while (chunk := await next_chunk()) is not None:
        yield chunk


def product_export_response(
    *, request: HttpRequest, filters: ProductFilters
) -> StreamingHttpResponse:
    django_request = getattr(request, "_request", request)
    if isinstance(django_request, ASGIRequest):
        content = _product_export_csv_chunks_async(filters=filters)
    else:
        content = product_export_csv_chunks(filters=filters)
    filename = f"products-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
