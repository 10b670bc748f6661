from django.contrib import admin

from catalog.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["sku", "name"]
    # An exact count of half a million rows on every admin page is wasted work.
    show_full_result_count = False
