from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def product_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/product_list.html")
