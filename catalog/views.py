"""The products page (server-rendered, updated in place with htmx)."""

import json
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.forms import ProductForm
from catalog.locks import CatalogWriteLockBusy
from catalog.models import Product
from catalog.pagination import PageOutOfRange, page_window
from catalog.selectors import ProductFilters, product_count, product_page
from catalog.serializers import DEFAULT_PAGE_SIZE, ProductListQuerySerializer
from catalog.services import (
    product_bulk_delete,
    product_bulk_set_active,
    product_create,
    product_delete,
    product_delete_all,
    product_update,
)

PAGE_SIZE_CHOICES = [25, 50, 100, 200]
RESULTS_TARGET = "product-results"
SORTABLE_COLUMNS = [
    ("sku", "SKU"),
    ("name", "Name"),
    ("updated_at", "Updated"),
]
LIST_PARAMS = ["q", "sku", "name", "description", "active", "ordering", "page_size"]


def _lenient_list_query(query: QueryDict) -> dict:
    """The list parameters, with invalid ones dropped (a shared link with a
    typo should still open the page, not an error)."""
    data = {key: query.get(key) for key in [*LIST_PARAMS, "page"] if key in query}
    serializer = ProductListQuerySerializer(data=data)
    if not serializer.is_valid():
        for key in serializer.errors:
            data.pop(key, None)
        serializer = ProductListQuerySerializer(data=data)
        serializer.is_valid(raise_exception=True)
    return {
        "filters": serializer.to_filters(),
        "ordering": serializer.validated_data.get("ordering") or "",
        "page_size": serializer.validated_data.get("page_size") or DEFAULT_PAGE_SIZE,
        "page": serializer.validated_data.get("page"),
    }


def _url(params: dict) -> str:
    kept = {key: value for key, value in params.items() if value not in ("", None)}
    return reverse("product-list") + ("?" + urlencode(kept) if kept else "")


def _list_context(request: HttpRequest) -> dict:
    query = _lenient_list_query(request.GET)
    filters: ProductFilters = query["filters"]
    ordering, size = query["ordering"], query["page_size"]
    count = product_count(filters=filters)
    try:
        window = page_window(page=query["page"], size=size, count=count)
    except PageOutOfRange:
        window = page_window(page="last", size=size, count=count)
    products = product_page(
        filters=filters, ordering=ordering, offset=window.offset, limit=size
    )
    base_params = {
        "q": filters.q,
        "sku": filters.sku,
        "name": filters.name,
        "description": filters.description,
        "active": "" if filters.active is None else str(filters.active).lower(),
        "ordering": ordering,
        "page_size": size if size != DEFAULT_PAGE_SIZE else "",
    }
    sort_links = []
    for field, label in SORTABLE_COLUMNS:
        if ordering == field:
            next_ordering, direction = f"-{field}", "ascending"
        elif ordering == f"-{field}":
            next_ordering, direction = "", "descending"
        else:
            next_ordering, direction = field, "none"
        sort_links.append(
            {
                "field": field,
                "label": label,
                "url": _url({**base_params, "ordering": next_ordering}),
                "direction": direction,
            }
        )
    page_links = [
        {"number": number, "url": _url({**base_params, "page": number})}
        if number
        else None
        for number in window.page_numbers()
    ]
    return {
        "products": products,
        "filters": filters,
        "ordering": ordering,
        "page_size": size,
        "page_size_choices": PAGE_SIZE_CHOICES,
        "window": window,
        "count": count,
        "total_count": count
        if filters.is_empty()
        else product_count(filters=ProductFilters()),
        "sort_links": sort_links,
        "page_links": page_links,
        "first_url": _url({**base_params, "page": 1}),
        "previous_url": _url({**base_params, "page": window.number - 1}),
        "next_url": _url({**base_params, "page": window.number + 1}),
        "last_url": _url({**base_params, "page": window.num_pages}),
        "current_url": _url({**base_params, "page": window.number}),
        "export_url": reverse("api-product-export")
        + "?"
        + urlencode(
            {
                key: value
                for key, value in base_params.items()
                if key in ("q", "sku", "name", "description", "active") and value
            }
        ),
        "filtered": not filters.is_empty(),
    }


def _with_toast(
    response: HttpResponse, text: str, kind: str = "success", **events
) -> HttpResponse:
    """Asks the page for a toast (and other client events) via HX-Trigger."""
    response["HX-Trigger"] = json.dumps(
        {"showToast": {"text": text, "kind": kind}, **events}
    )
    return response


@require_GET
def product_list_page(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == RESULTS_TARGET:
        context["partial"] = True
        return render(request, "catalog/_product_results.html", context)
    context["create_form"] = ProductForm(initial={"active": True})
    return render(request, "catalog/product_list.html", context)


@require_http_methods(["GET", "POST"])
def product_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = ProductForm(initial={"active": True})
        return render(request, "catalog/_product_create_form.html", {"form": form})
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            product = product_create(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            response = render(
                request,
                "catalog/_product_create_form.html",
                {"form": ProductForm(initial={"active": True})},
            )
            return _with_toast(
                response,
                f"Product {product.sku} created.",
                productsChanged=True,
                productCreated=True,
            )
    return render(request, "catalog/_product_create_form.html", {"form": form})


@require_GET
def product_row(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, id=product_id)
    return render(request, "catalog/_product_row.html", {"product": product})


@require_http_methods(["GET", "POST"])
def product_edit_row(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, id=product_id)
    if request.method == "GET":
        form = ProductForm(
            initial={
                "sku": product.sku,
                "name": product.name,
                "description": product.description,
                "active": product.active,
            }
        )
        return render(
            request,
            "catalog/_product_edit_row.html",
            {"product": product, "form": form},
        )
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            product = product_update(product=product, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            response = render(
                request, "catalog/_product_row.html", {"product": product}
            )
            return _with_toast(response, f"Product {product.sku} saved.")
    return render(
        request, "catalog/_product_edit_row.html", {"product": product, "form": form}
    )


@require_POST
def product_active_toggle(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, id=product_id)
    active = request.POST.get("active") in ("on", "true", "1")
    product = product_update(product=product, active=active)
    response = render(request, "catalog/_product_row.html", {"product": product})
    state = "activated" if active else "deactivated"
    return _with_toast(response, f"Product {product.sku} {state}.")


def _no_swap() -> HttpResponse:
    response = HttpResponse(status=200)
    response["HX-Reswap"] = "none"
    return response


@require_POST
def product_delete_view(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, id=product_id)
    sku = product.sku
    product_delete(product=product)
    return _with_toast(_no_swap(), f"Product {sku} deleted.", productsChanged=True)


@require_POST
def product_bulk_action(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    action = request.POST.get("action")
    if not ids or action not in ("activate", "deactivate", "delete"):
        return _with_toast(_no_swap(), "Select products first.", "error")
    if action == "delete":
        done = product_bulk_delete(ids=ids)
        verb = "Deleted"
    else:
        done = product_bulk_set_active(ids=ids, active=action == "activate")
        verb = "Activated" if action == "activate" else "Deactivated"
    text = f"{verb} {done:,} product{'' if done == 1 else 's'}."
    return _with_toast(_no_swap(), text, productsChanged=True)


@require_POST
def product_delete_all_view(request: HttpRequest) -> HttpResponse:
    try:
        deleted = product_delete_all()
    except CatalogWriteLockBusy:
        return _with_toast(
            _no_swap(),
            "An import is running. Delete all is refused until it finishes.",
            "error",
        )
    return _with_toast(
        _no_swap(), f"Deleted all {deleted:,} products.", productsChanged=True
    )
