"""HTML pages for webhooks; htmx requests get the partial they replace."""

import json

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from webhooks.events import EVENT_TYPES
from webhooks.forms import WebhookForm
from webhooks.selectors import (
    webhook_delivery_get,
    webhook_delivery_list,
    webhook_get,
    webhook_list,
)
from webhooks.services import (
    webhook_create,
    webhook_delete,
    webhook_delivery_redeliver,
    webhook_enabled_set,
    webhook_secret_rotate,
    webhook_test_send,
    webhook_update,
)

DELIVERIES_PER_PAGE = 20


def _toast(response: HttpResponse, text: str, kind: str = "success") -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"showToast": {"text": text, "kind": kind}})
    return response


def webhook_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request, "webhooks/webhook_list.html", {"endpoints": list(webhook_list())}
    )


def _form_errors_apply(form: WebhookForm, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def webhook_create_view(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None, initial={"events": list(EVENT_TYPES)})
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhook_create(**form.cleaned_data)
        except ValidationError as error:
            _form_errors_apply(form, error)
        else:
            messages.success(request, f"Webhook {endpoint.url} added.")
            return redirect("webhook-detail", webhook_id=endpoint.pk)
    return render(request, "webhooks/webhook_form.html", {"form": form})


def webhook_edit_view(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = webhook_get(webhook_id=webhook_id)
    form = WebhookForm(
        request.POST or None,
        initial={
            "url": endpoint.url,
            "events": endpoint.events,
            "description": endpoint.description,
            "enabled": endpoint.enabled,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            webhook_update(endpoint=endpoint, data=form.cleaned_data)
        except ValidationError as error:
            _form_errors_apply(form, error)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("webhook-detail", webhook_id=endpoint.pk)
    return render(
        request, "webhooks/webhook_form.html", {"form": form, "endpoint": endpoint}
    )


def webhook_detail_view(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = webhook_get(webhook_id=webhook_id)
    deliveries = Paginator(
        webhook_delivery_list(endpoint=endpoint), DELIVERIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/webhook_detail.html",
        {"endpoint": endpoint, "deliveries": deliveries},
    )


@require_POST
def webhook_toggle_view(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = webhook_get(webhook_id=webhook_id)
    enabled = request.POST.get("enabled") == "on"
    webhook_enabled_set(endpoint=endpoint, enabled=enabled)
    response = render(
        request,
        "webhooks/_webhook_row.html",
        {"endpoint": webhook_get(webhook_id=webhook_id)},
    )
    state = "enabled" if enabled else "disabled"
    return _toast(response, f"Webhook {endpoint.url} {state}.")


@require_POST
def webhook_delete_view(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = webhook_get(webhook_id=webhook_id)
    webhook_delete(endpoint=endpoint)
    messages.success(request, f"Webhook {endpoint.url} deleted.")
    return redirect("webhook-list")


@require_POST
def webhook_rotate_view(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook_secret_rotate(endpoint=webhook_get(webhook_id=webhook_id))
    messages.success(
        request,
        "Secret rotated. The old secret keeps signing alongside it for 24 hours.",
    )
    return redirect("webhook-detail", webhook_id=webhook_id)


@require_POST
def webhook_redeliver_view(
    request: HttpRequest, webhook_id: int, delivery_id: int
) -> HttpResponse:
    endpoint = webhook_get(webhook_id=webhook_id)
    delivery = webhook_delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    try:
        webhook_delivery_redeliver(delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{delivery.event.type} queued for redelivery.")
    return redirect("webhook-detail", webhook_id=webhook_id)


@require_POST
async def webhook_test_view(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """Async so that waiting on a slow receiver holds no server thread."""
    endpoint = await sync_to_async(webhook_get)(webhook_id=webhook_id)
    result = await webhook_test_send(endpoint=endpoint)
    return await sync_to_async(render)(
        request, "webhooks/_test_result.html", {"result": result}
    )
