from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower, Upper

SKU_MAX_LENGTH = 255
NAME_MAX_LENGTH = 255


class Product(models.Model):
    sku = models.CharField(
        max_length=SKU_MAX_LENGTH,
        help_text="Kept in the casing it was given; unique regardless of case.",
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True, default="")
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # The import's upsert targets ON CONFLICT (lower(sku)): keep the
            # expression identical or PostgreSQL will not find the index.
            models.UniqueConstraint(
                Lower("sku"),
                name="catalog_product_sku_lower_uniq",
                violation_error_message="A product with this SKU already exists.",
            ),
        ]
        indexes = [
            # Trigram GIN indexes serve the case-insensitive "contains"
            # filters (UPPER(col) LIKE UPPER('%x%') as Django writes icontains).
            GinIndex(
                OpClass(Upper("sku"), name="gin_trgm_ops"),
                name="catalog_product_sku_trgm",
            ),
            GinIndex(
                OpClass(Upper("name"), name="gin_trgm_ops"),
                name="catalog_product_name_trgm",
            ),
            GinIndex(
                OpClass(Upper("description"), name="gin_trgm_ops"),
                name="catalog_product_desc_trgm",
            ),
            models.Index(fields=["name", "id"], name="catalog_product_name_id"),
            models.Index(fields=["active", "id"], name="catalog_product_active_id"),
            # Sorting by a timestamp needs the id as tie-breaker: an import
            # stamps all of its rows with one transaction time, and a page
            # must never sort a whole import to pick 50 rows.
            models.Index(
                fields=["created_at", "id"], name="catalog_product_created_id"
            ),
            models.Index(
                fields=["updated_at", "id"], name="catalog_product_updated_id"
            ),
        ]

    def __str__(self) -> str:
        return self.sku
