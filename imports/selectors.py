"""Reads of import jobs, and the job object every API and event shows."""

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from imports.models import ImportJob

WORKING_PHASES = (
    ImportJob.Phase.PARSING,
    ImportJob.Phase.VALIDATING,
    ImportJob.Phase.IMPORTING,
)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def import_job_payload(*, job: ImportJob) -> dict[str, Any]:
    """The job object of the API, the SSE stream and the Redis progress state."""
    return {
        "id": job.pk,
        "status": job.status,
        "phase": job.phase,
        "phase_label": ImportJob.Phase(job.phase).label,
        "message": job.message,
        "progress": job.progress,
        "total_records": job.total_records,
        "processed_records": job.processed_records,
        "created_count": job.created_count,
        "updated_count": job.updated_count,
        "unchanged_count": job.unchanged_count,
        "invalid_count": job.invalid_count,
        "error_message": job.error_message,
        "warnings": list(job.warnings or []),
        "filename": job.filename,
        "file_size": job.file_size,
        "created_by": job.created_by.get_username() if job.created_by else None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "duration_seconds": job.duration_seconds,
        "status_url": reverse("api-import-status", args=[job.pk]),
        "events_url": reverse("api-import-events", args=[job.pk]),
        "errors_url": (
            reverse("api-import-errors", args=[job.pk]) if job.error_report else None
        ),
        "retry_url": reverse("api-import-retry", args=[job.pk]),
        "cancel_url": reverse("api-import-cancel", args=[job.pk]),
    }


def import_job_list() -> QuerySet[ImportJob]:
    """Every import, newest first."""
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_job_get(*, job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("created_by").filter(pk=job_id).first()


def import_job_running_latest() -> ImportJob | None:
    """The newest import not yet finished: the one the Imports page follows."""
    return (
        import_job_list()
        .filter(status__in=[ImportJob.Status.PENDING, ImportJob.Status.PROCESSING])
        .first()
    )


def import_job_lock_holder(*, exclude_id: int) -> ImportJob | None:
    """The import that is writing to the catalog now, other than ``exclude_id``."""
    return (
        ImportJob.objects.filter(
            status=ImportJob.Status.PROCESSING, phase__in=WORKING_PHASES
        )
        .exclude(pk=exclude_id)
        .order_by("started_at")
        .first()
    )
