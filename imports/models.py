from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One uploaded CSV file and the run of the import pipeline over it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Phase(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING = "waiting", "Waiting"
        PARSING = "parsing", "Parsing CSV"
        VALIDATING = "validating", "Validating"
        IMPORTING = "importing", "Importing"
        COMPLETE = "complete", "Import complete"
        FAILED = "failed", "Import failed"
        CANCELLED = "cancelled", "Cancelled"

    TERMINAL_STATUSES = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.QUEUED)
    message = models.CharField(max_length=500, blank=True, default="")
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(max_length=500, upload_to="imports/uploads/%Y/%m/")
    filename = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    error_report = models.FileField(max_length=500, blank=True, default="")
    total_records = models.PositiveIntegerField(null=True, blank=True)
    processed_records = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True, default="")
    warnings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started this job."
    )
    requeued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="imports_importjob_progress_lte_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.filename})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.TERMINAL_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
