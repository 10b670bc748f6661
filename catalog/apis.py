from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from catalog.exports import product_export_response
from catalog.locks import CatalogWriteLockBusy
from catalog.models import Product
from catalog.pagination import PageOutOfRange, page_window
from catalog.selectors import product_count, product_page
from catalog.serializers import (
    DEFAULT_PAGE_SIZE,
    BulkDeleteResultSerializer,
    ErrorSerializer,
    ProductFilterSerializer,
    ProductListQuerySerializer,
    ProductSerializer,
    product_representation,
)
from catalog.services import (
    product_create,
    product_delete,
    product_delete_all,
    product_update,
)

IMPORT_RUNNING_MESSAGE = (
    "An import is running. Delete all products is refused until it finishes."
)


PAGINATED_PRODUCTS = inline_serializer(
    name="PaginatedProductList",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": ProductSerializer(many=True),
    },
)


def _api_validation_error(error: DjangoValidationError) -> ApiValidationError:
    return ApiValidationError(
        error.message_dict if hasattr(error, "error_dict") else error.messages
    )


class ProductListCreateApi(APIView):
    @extend_schema(
        operation_id="products_list",
        parameters=[ProductListQuerySerializer],
        responses={
            200: PAGINATED_PRODUCTS,
            400: OpenApiResponse(description="A query parameter is invalid."),
            404: OpenApiResponse(description="The page does not exist."),
        },
    )
    def get(self, request: Request) -> Response:
        query = ProductListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.to_filters()
        ordering = query.validated_data.get("ordering") or ""
        size = query.validated_data.get("page_size") or DEFAULT_PAGE_SIZE
        count = product_count(filters=filters)
        try:
            window = page_window(
                page=query.validated_data.get("page"), size=size, count=count
            )
        except PageOutOfRange:
            raise NotFound("Invalid page.")
        products = product_page(
            filters=filters, ordering=ordering, offset=window.offset, limit=size
        )
        url = request.build_absolute_uri()
        next_url = (
            replace_query_param(url, "page", window.number + 1)
            if window.has_next
            else None
        )
        previous_url = None
        if window.number == 2:
            previous_url = remove_query_param(url, "page")
        elif window.has_previous:
            previous_url = replace_query_param(url, "page", window.number - 1)
        return Response(
            {
                "count": count,
                "next": next_url,
                "previous": previous_url,
                "results": [product_representation(row) for row in products],
            }
        )

    @extend_schema(
        operation_id="products_create",
        request=ProductSerializer,
        responses={201: ProductSerializer, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        serializer = ProductSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            product = product_create(**serializer.validated_data)
        except DjangoValidationError as error:
            raise _api_validation_error(error)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    @extend_schema(responses={200: ProductSerializer, 404: ErrorSerializer})
    def get(self, request: Request, product_id: int) -> Response:
        product = get_object_or_404(Product, id=product_id)
        return Response(ProductSerializer(product).data)

    @extend_schema(
        request=ProductSerializer,
        responses={200: ProductSerializer, 400: OpenApiTypes.OBJECT},
    )
    def put(self, request: Request, product_id: int) -> Response:
        return self._update(request, product_id, partial=False)

    @extend_schema(
        request=ProductSerializer,
        responses={200: ProductSerializer, 400: OpenApiTypes.OBJECT},
    )
    def patch(self, request: Request, product_id: int) -> Response:
        return self._update(request, product_id, partial=True)

    @extend_schema(responses={204: None, 404: ErrorSerializer})
    def delete(self, request: Request, product_id: int) -> Response:
        product = get_object_or_404(Product, id=product_id)
        product_delete(product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, product_id: int, *, partial: bool):
        product = get_object_or_404(Product, id=product_id)
        serializer = ProductSerializer(product, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            product = product_update(product=product, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _api_validation_error(error)
        return Response(ProductSerializer(product).data)


class ProductBulkDeleteApi(APIView):
    @extend_schema(
        operation_id="products_bulk_delete",
        description="Deletes every product. Refused with 409 while an import "
        "holds the catalog write lock.",
        request=None,
        responses={200: BulkDeleteResultSerializer, 409: ErrorSerializer},
    )
    def delete(self, request: Request) -> Response:
        try:
            deleted = product_delete_all()
        except CatalogWriteLockBusy:
            return Response(
                {"detail": IMPORT_RUNNING_MESSAGE}, status=status.HTTP_409_CONFLICT
            )
        return Response({"deleted": deleted})


class ProductExportApi(APIView):
    @extend_schema(
        operation_id="products_export_csv",
        description="The filtered products as CSV (sku,name,description,active), "
        "streamed; it can be imported again. Cells starting with = + - @ "
        "(or a tab or carriage return) are prefixed with ' so spreadsheets "
        "do not run them as formulas.",
        parameters=[ProductFilterSerializer],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            400: OpenApiResponse(description="A query parameter is invalid."),
        },
    )
    def get(self, request: Request):
        query = ProductFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return product_export_response(request=request, filters=query.to_filters())
