from django.contrib import admin

from imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "filename",
        "status",
        "phase",
        "created_by",
        "created_count",
        "updated_count",
        "unchanged_count",
        "invalid_count",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    search_fields = ("filename",)
    readonly_fields = ("created_at", "updated_at", "started_at", "finished_at")
    raw_id_fields = ("created_by", "retry_of")
