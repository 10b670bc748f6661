from django.urls import path

from catalog import apis, views

urlpatterns = [
    path("", views.product_list_page, name="product-list"),
    path("api/products/", apis.ProductListApi.as_view(), name="api-product-list"),
]
