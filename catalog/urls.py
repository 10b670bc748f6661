from django.urls import path

from catalog import apis, views

urlpatterns = [
    path("", views.product_list_page, name="product-list"),
    path("products/new/", views.product_create_view, name="product-create"),
    path("products/bulk/", views.product_bulk_action, name="product-bulk"),
    path(
        "products/delete-all/",
        views.product_delete_all_view,
        name="product-delete-all",
    ),
    path("products/<int:product_id>/row/", views.product_row, name="product-row"),
    path(
        "products/<int:product_id>/edit/",
        views.product_edit_row,
        name="product-edit",
    ),
    path(
        "products/<int:product_id>/active/",
        views.product_active_toggle,
        name="product-active",
    ),
    path(
        "products/<int:product_id>/delete/",
        views.product_delete_view,
        name="product-delete",
    ),
    path(
        "api/products/",
        apis.ProductListCreateApi.as_view(),
        name="api-product-list",
    ),
    path(
        "api/products/bulk-delete/",
        apis.ProductBulkDeleteApi.as_view(),
        name="api-product-bulk-delete",
    ),
    path(
        "api/products/export.csv",
        apis.ProductExportApi.as_view(),
        name="api-product-export",
    ),
    path(
        "api/products/<int:product_id>/",
        apis.ProductDetailApi.as_view(),
        name="api-product-detail",
    ),
]
