"""REST API for webhook endpoints (thin: validate, call a service, serialise)."""

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks.selectors import (
    webhook_delivery_get,
    webhook_delivery_list,
    webhook_get,
    webhook_list,
)
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookInputSerializer,
    WebhookOutputSerializer,
)
from webhooks.services import (
    webhook_create,
    webhook_delete,
    webhook_delivery_redeliver,
    webhook_secret_rotate,
    webhook_test_send,
    webhook_update,
)


def _service_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"detail": error.messages})


def _webhook_response(webhook_id: int, status_code: int = 200) -> Response:
    endpoint = webhook_get(webhook_id=webhook_id)
    return Response(WebhookOutputSerializer(endpoint).data, status=status_code)


class WebhookListApi(APIView):
    @extend_schema(
        operation_id="webhooks_list", responses=WebhookOutputSerializer(many=True)
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(webhook_list(), request, view=self)
        return paginator.get_paginated_response(
            WebhookOutputSerializer(page, many=True).data
        )

    @extend_schema(
        request=WebhookInputSerializer, responses={201: WebhookOutputSerializer}
    )
    def post(self, request):
        serializer = WebhookInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint = webhook_create(**serializer.validated_data)
        except DjangoValidationError as error:
            raise _service_errors(error)
        return _webhook_response(endpoint.pk, status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    @extend_schema(responses=WebhookOutputSerializer)
    def get(self, request, webhook_id: int):
        return _webhook_response(webhook_id)

    @extend_schema(request=WebhookInputSerializer, responses=WebhookOutputSerializer)
    def put(self, request, webhook_id: int):
        return self._update(request, webhook_id, partial=False)

    @extend_schema(request=WebhookInputSerializer, responses=WebhookOutputSerializer)
    def patch(self, request, webhook_id: int):
        return self._update(request, webhook_id, partial=True)

    def _update(self, request, webhook_id: int, *, partial: bool):
        endpoint = webhook_get(webhook_id=webhook_id)
        serializer = WebhookInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            webhook_update(endpoint=endpoint, data=serializer.validated_data)
        except DjangoValidationError as error:
            raise _service_errors(error)
        return _webhook_response(webhook_id)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted")})
    def delete(self, request, webhook_id: int):
        webhook_delete(endpoint=webhook_get(webhook_id=webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotateApi(APIView):
    @extend_schema(request=None, responses=WebhookOutputSerializer)
    def post(self, request, webhook_id: int):
        webhook_secret_rotate(endpoint=webhook_get(webhook_id=webhook_id))
        return _webhook_response(webhook_id)


class WebhookDeliveryListApi(APIView):
    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    def get(self, request, webhook_id: int):
        endpoint = webhook_get(webhook_id=webhook_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            webhook_delivery_list(endpoint=endpoint), request, view=self
        )
        return paginator.get_paginated_response(
            WebhookDeliverySerializer(page, many=True).data
        )


class WebhookRedeliverApi(APIView):
    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request, webhook_id: int, delivery_id: int):
        endpoint = webhook_get(webhook_id=webhook_id)
        delivery = webhook_delivery_get(endpoint=endpoint, delivery_id=delivery_id)
        try:
            redelivery = webhook_delivery_redeliver(delivery=delivery)
        except DjangoValidationError as error:
            return Response(
                {"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT
            )
        redelivery = webhook_delivery_get(endpoint=endpoint, delivery_id=redelivery.pk)
        return Response(
            WebhookDeliverySerializer(redelivery).data, status=status.HTTP_202_ACCEPTED
        )


def _api_user(request: HttpRequest):
    """Authenticates like the REST framework views (token, then session with
    its CSRF check), for the one API view that has to be async."""
    drf_request = Request(
        request, authenticators=[TokenAuthentication(), SessionAuthentication()]
    )
    user = drf_request.user
    if not (user and user.is_authenticated):
        raise exceptions.NotAuthenticated()
    return user


@csrf_exempt  # CSRF is checked by SessionAuthentication, as in every DRF view.
@require_POST
async def webhook_test_api(request: HttpRequest, webhook_id: int) -> JsonResponse:
    """``POST /api/webhooks/<id>/test/``: sends a ``webhook.test`` event now.

    Async on purpose: the server is ASGI, and a sync view waiting up to the
    timeout on a slow receiver would hold the thread all sync views share.
    """
    try:
        await sync_to_async(_api_user)(request)
    except exceptions.APIException as error:
        response = JsonResponse({"detail": str(error.detail)}, status=error.status_code)
        if isinstance(error, exceptions.NotAuthenticated):
            response["WWW-Authenticate"] = "Token"
        return response
    try:
        endpoint = await sync_to_async(webhook_get)(webhook_id=webhook_id)
    except Http404:
        return JsonResponse({"detail": "No such webhook."}, status=404)
    result = await webhook_test_send(endpoint=endpoint)
    return JsonResponse(
        {
            "ok": result.ok,
            "status_code": result.status_code,
            "response_time_ms": result.response_time_ms,
            "error": result.error,
            "response_body": result.response_body,
        }
    )
