from rest_framework import generics

from catalog.selectors import product_list
from catalog.serializers import ProductSerializer


class ProductListApi(generics.ListAPIView):
    serializer_class = ProductSerializer

    def get_queryset(self):
        return product_list()
