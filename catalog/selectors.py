from django.db.models import QuerySet

from catalog.models import Product


def product_list() -> QuerySet[Product]:
    return Product.objects.order_by("id")
