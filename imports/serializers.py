"""Shapes of the import API, for the OpenAPI schema.

The job object itself is built by :func:`imports.selectors.import_job_payload`
(one dict shared by the API, the SSE stream and the Redis progress state);
this serializer only describes it.
"""

from rest_framework import serializers

from imports.models import ImportJob


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    phase = serializers.ChoiceField(choices=ImportJob.Phase.choices)
    phase_label = serializers.CharField()
    message = serializers.CharField()
    progress = serializers.IntegerField(min_value=0, max_value=100)
    total_records = serializers.IntegerField(allow_null=True)
    processed_records = serializers.IntegerField()
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    unchanged_count = serializers.IntegerField()
    invalid_count = serializers.IntegerField()
    error_message = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField())
    filename = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True)
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    status_url = serializers.CharField()
    events_url = serializers.CharField()
    errors_url = serializers.CharField(allow_null=True)
    retry_url = serializers.CharField()
    cancel_url = serializers.CharField()


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV or .csv.gz with a `sku` column; `name`, `description`, "
        "`active` optional."
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
