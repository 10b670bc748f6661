"""Writes of import jobs: create, run, cancel, retry, recover.

How a job stays correct when a worker dies
------------------------------------------
``import_job_run`` holds a per-job PostgreSQL advisory lock for as long as it
works on the job, and does every product write inside ONE transaction that
also marks the job completed. If the worker is killed (SIGKILL, OOM, power),
PostgreSQL rolls the transaction back and releases both the job lock and the
catalog lock, so the catalog is exactly as before the import. The task is
``acks_late``: Celery hands the message out again (at once when only the pool
process died, after ``CELERY_VISIBILITY_TIMEOUT`` when the whole worker did).
To not wait that long, ``import_jobs_recover`` runs when a worker starts and
every ``IMPORT_RECOVER_INTERVAL_SECONDS`` (beat): it queues again every
processing job whose job lock nobody holds. Running a job twice is harmless:
a second runner cannot take the job lock, and a finished job is left alone.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from catalog.locks import CatalogWriteLockBusy, catalog_write_lock
from catalog.models import NAME_MAX_LENGTH, SKU_MAX_LENGTH
from imports.models import ImportJob
from imports.pipeline import gin as gin_merge
from imports.pipeline.merge import (
    MergeCounts,
    merge_batch_run,
    merge_table_build,
    merge_tables_drop,
)
from imports.pipeline.progress import (
    PROGRESS_FIELDS,
    ProgressReporter,
    progress_state_forget,
    side_connection_open,
)
from imports.pipeline.reader import (
    ColumnLimits,
    ImportFileError,
    NotUtf8Error,
    RejectedRow,
    product_csv_open,
)
from imports.pipeline.staging import staging_rows_copy, staging_table_create
from imports.selectors import import_job_lock_holder, import_job_payload
from webhooks.events import event_record

logger = logging.getLogger(__name__)

# Two-key advisory locks live apart from the one-key catalog lock.
JOB_LOCK_CLASS = 0x696D70  # "imp"
# Share of the progress bar each phase covers (parsing is the cheap part).
PARSE_SHARE, VALIDATE_SHARE = 20, 5
WAIT_POLL_SECONDS = 0.5
QUEUED_MESSAGE = "Waiting for a worker to start the import"


class ImportCancelled(Exception):
    """The user asked to cancel; everything the job wrote is rolled back."""


# --- Creating, cancelling, retrying -------------------------------------------


def import_job_enqueue(*, job_id: int) -> None:
    """Queues the job's task once the current transaction has committed."""
    from imports.tasks import import_job_run as import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job_id))


def import_job_create(
    *, file: File, filename: str, user=None, enqueue: bool = True
) -> ImportJob:
    """Stores the uploaded ``file`` and creates its pending job.

    The file goes to the default storage as a stream (a temporary upload on
    the same disk is moved, not copied).
    """
    filename = os.path.basename(filename or "upload.csv")[:255] or "upload.csv"
    job = ImportJob(
        filename=filename,
        file_size=file.size or 0,
        created_by=user if user is not None and user.is_authenticated else None,
        message=QUEUED_MESSAGE,
    )
    job.file.save(filename, file, save=False)
    with transaction.atomic():
        job.save()
        if enqueue:
            import_job_enqueue(job_id=job.pk)
    progress_state_forget(job_id=job.pk)
    return job


def import_job_cancel(*, job: ImportJob) -> ImportJob:
    """Cancels a pending job at once, or asks the running worker to stop."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.is_finished:
            return job
        if job.status == ImportJob.Status.PENDING:
            _job_mark_cancelled(job)
        else:
            job.cancel_requested = True
            job.message = "Cancelling…"
            job.save(update_fields=["cancel_requested", "message", "updated_at"])
    _job_publish(job)
    return job


def import_job_retry(*, job: ImportJob, user=None) -> ImportJob:
    """Runs a failed or cancelled job again from its stored file, as a new job."""
    if job.status not in (ImportJob.Status.FAILED, ImportJob.Status.CANCELLED):
        raise ValueError("Only a failed or cancelled import can be retried.")
    with transaction.atomic():
        retry = ImportJob.objects.create(
            file=job.file.name,
            filename=job.filename,
            file_size=job.file_size,
            created_by=user if user is not None and user.is_authenticated else None,
            retry_of=job,
            message=QUEUED_MESSAGE,
        )
        import_job_enqueue(job_id=retry.pk)
    return retry


def import_jobs_recover() -> list[int]:
    """Queues again the jobs whose worker is gone; returns their ids."""
    stale_pending = timezone.now() - datetime.timedelta(
        seconds=settings.IMPORT_STALE_PENDING_SECONDS
    )
    candidates = ImportJob.objects.filter(
        status=ImportJob.Status.PROCESSING
    ) | ImportJob.objects.filter(
        status=ImportJob.Status.PENDING, created_at__lt=stale_pending
    ).exclude(requeued_at__gte=stale_pending)
    requeued = []
    for job in candidates.order_by("id"):
        with _job_lock(job_id=job.pk) as acquired:
            if not acquired:  # a worker is on it
                continue
        ImportJob.objects.filter(pk=job.pk).update(requeued_at=timezone.now())
        import_job_enqueue(job_id=job.pk)
        requeued.append(job.pk)
    if requeued:
        logger.warning("re-queued imports whose worker is gone: %s", requeued)
    return requeued


# --- Running ------------------------------------------------------------------


@contextlib.contextmanager
def _job_lock(*, job_id: int) -> Iterator[bool]:
    """Tries the per-job session lock; yields whether this session got it."""
    key = job_id % 2**31
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCK_CLASS, key]
                )


def import_job_run(
    *, job_id: int, on_publish: Callable[[dict], None] | None = None
) -> ImportJob | None:
    """Runs the import pipeline for the job; safe to call more than once.

    Returns the job as it ended, or ``None`` when the job does not exist or
    another worker is running it right now.
    """
    with _job_lock(job_id=job_id) as acquired:
        if not acquired:
            logger.info("import %s is being run by another worker", job_id)
            return None
        job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        if job.cancel_requested:
            _job_mark_cancelled(job)
            _job_publish(job, on_publish=on_publish)
            return job
        _job_start(job)
        reporter = ProgressReporter(
            job=job,
            payload=lambda current: import_job_payload(job=current),
            on_publish=on_publish,
        )
        with reporter:
            try:
                with contextlib.ExitStack() as stack:
                    _catalog_lock_wait(job=job, reporter=reporter, stack=stack)
                    _pipeline_run(job=job, reporter=reporter)
            except ImportCancelled:
                reporter.stop()
                _job_mark_cancelled(job)
            except ImportFileError as error:
                reporter.stop()
                _job_mark_failed(job, reason=str(error))
            except Exception as error:
                logger.exception("import %s failed", job_id)
                reporter.stop()
                _job_mark_failed(
                    job,
                    reason=f"An unexpected error stopped the import ({error}). "
                    "No products were changed; try again.",
                )
        _job_publish(job, on_publish=on_publish)
        return job


def _job_start(job: ImportJob) -> None:
    """Marks the job processing and starts its counts afresh (a re-run after a
    killed worker starts from the file again)."""
    job.status = ImportJob.Status.PROCESSING
    job.phase = ImportJob.Phase.WAITING
    job.message = "Starting"
    job.progress = 0
    job.total_records = None
    job.processed_records = 0
    job.created_count = job.updated_count = job.unchanged_count = 0
    job.invalid_count = 0
    job.error_message = ""
    job.warnings = []
    job.started_at = timezone.now()
    job.attempts += 1
    # Not cancel_requested: a cancel arriving right now must not be lost.
    job.save(
        update_fields=[
            *PROGRESS_FIELDS,
            "error_message",
            "started_at",
            "attempts",
            "updated_at",
        ]
    )


def _catalog_lock_wait(
    *, job: ImportJob, reporter: ProgressReporter, stack: contextlib.ExitStack
) -> None:
    """Takes the catalog write lock, saying whom it waits for meanwhile.

    Polls instead of blocking in ``pg_advisory_lock`` so a waiting job can be
    cancelled and keeps reporting.
    """
    waiting_message = None
    while True:
        try:
            stack.enter_context(catalog_write_lock(wait=False))
            # The duration shown counts the work, not the wait in the queue.
            reporter.update(started_at=timezone.now())
            return
        except CatalogWriteLockBusy:
            pass
        if reporter.cancelled.is_set():
            raise ImportCancelled
        holder = import_job_lock_holder(exclude_id=job.pk)
        message = (
            f"Waiting for import #{holder.pk} to finish"
            if holder
            else "Waiting for another change to the catalog to finish"
        )
        if message != waiting_message:
            reporter.phase(ImportJob.Phase.WAITING, message=message)
            waiting_message = message
        time.sleep(WAIT_POLL_SECONDS)


class _ErrorReport:
    """Collects rejected rows in a CSV on local disk (never in memory)."""

    def __init__(self) -> None:
        # Closed (and deleted) by discard(), whatever happens to the import.
        self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", newline="", suffix=".csv", delete=False
        )
        self.writer = csv.writer(self.file)
        self.rows = 0

    def start(self, header: list[str]) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.rows = 0
        self.writer.writerow(["line", "column", "reason", *header])

    def add(self, rejected: RejectedRow) -> None:
        self.rows += 1
        self.writer.writerow(
            [rejected.line, rejected.column, rejected.reason, *rejected.values]
        )

    def save(self, *, job: ImportJob) -> str:
        self.file.flush()
        self.file.seek(0)
        name = default_storage.save(
            f"imports/reports/import-{job.pk}-errors.csv", File(self.file)
        )
        return name

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.file.name)


def _connection_check_enable() -> None:
    """Makes the server abort this session's statement soon after the worker
    dies (PostgreSQL ≥ 14), so its locks are free for the retry at once."""
    with contextlib.suppress(Exception), connection.cursor() as cursor:
        cursor.execute("SET client_connection_check_interval = '1s'")


def _pipeline_run(*, job: ImportJob, reporter: ProgressReporter) -> None:
    """Parse → stage → deduplicate → upsert, all in one transaction."""
    connection.ensure_connection()
    if connection.get_autocommit():
        _connection_check_enable()
    report = _ErrorReport()
    try:
        with transaction.atomic():
            with connection.connection.cursor() as cursor:
                staging_table_create(cursor=cursor)
                source = _file_stage(
                    job=job, reporter=reporter, cursor=cursor, report=report
                )
                counts = _staged_merge(
                    job=job, reporter=reporter, cursor=cursor, source=source
                )
                merge_tables_drop(cursor=cursor)
            # Nothing may write the job row after this point but this
            # transaction.
            reporter.stop()
            if report.rows:
                job.error_report = report.save(job=job)
            _job_mark_completed(job, counts=counts)
    finally:
        report.discard()


class _StagedFile:
    def __init__(self, *, data_rows: int, rejected: int, has_active: bool) -> None:
        self.data_rows = data_rows
        self.rejected = rejected
        self.has_active = has_active


def _file_stage(*, job, reporter, cursor, report) -> _StagedFile:
    reporter.phase(ImportJob.Phase.PARSING, message="Parsing CSV")
    encoding = None
    while True:
        try:
            # A savepoint: an interrupted COPY aborts it, not the transaction.
            with transaction.atomic():
                return _file_stage_as(
                    job=job,
                    reporter=reporter,
                    cursor=cursor,
                    report=report,
                    encoding=encoding,
                )
        except NotUtf8Error:
            if encoding is not None:
                raise
            # Rows staged so far were read as UTF-8 and are rolled back with
            # the savepoint; start over as cp1252.
            encoding = "cp1252"


def _file_stage_as(*, job, reporter, cursor, report, encoding) -> _StagedFile:
    limits = ColumnLimits(sku=SKU_MAX_LENGTH, name=NAME_MAX_LENGTH)
    size = max(job.file_size, 1)
    with default_storage.open(job.file.name, "rb") as stream:
        product_csv = product_csv_open(stream, encoding=encoding, limits=limits)
        report.start(product_csv.header)

        def on_progress(copied: int) -> None:
            if reporter.cancelled.is_set():
                raise ImportCancelled
            reporter.update(
                processed_records=product_csv.data_rows,
                invalid_count=product_csv.rejected_rows,
                progress=min(PARSE_SHARE, PARSE_SHARE * product_csv.bytes_read // size),
            )

        staging_rows_copy(
            cursor=cursor,
            rows=product_csv.rows(on_reject=report.add),
            on_progress=on_progress,
        )
    reporter.update(warnings=list(product_csv.warnings))
    return _StagedFile(
        data_rows=product_csv.data_rows,
        rejected=product_csv.rejected_rows,
        has_active=product_csv.has_active_column,
    )


def _staged_merge(*, job, reporter, cursor, source: _StagedFile) -> MergeCounts:
    reporter.phase(
        ImportJob.Phase.VALIDATING,
        message="Validating",
        total_records=source.data_rows,
        processed_records=source.data_rows,
        invalid_count=source.rejected,
        progress=PARSE_SHARE,
    )
    unique_rows = merge_table_build(cursor=cursor)
    valid_rows = source.data_rows - source.rejected
    duplicates = valid_rows - unique_rows
    if duplicates:
        reporter.update(
            warnings=[
                *job.warnings,
                f"{duplicates:,} rows repeated a SKU that appears later in the "
                "file; the last row for each SKU was imported.",
            ]
        )
    accounted = source.rejected + duplicates
    reporter.phase(
        ImportJob.Phase.IMPORTING,
        message="Importing",
        processed_records=accounted,
        progress=PARSE_SHARE + VALIDATE_SHARE,
    )
    batch_size = max(1, settings.IMPORT_BATCH_SIZE)
    totals = MergeCounts()
    merge_share = 100 - PARSE_SHARE - VALIDATE_SHARE
    after = 0
    with contextlib.ExitStack() as stack:
        merger = None
        if unique_rows >= gin_merge.MIN_ROWS:
            # Trigram index upkeep on a second core (see imports.pipeline.gin).
            merger = stack.enter_context(
                gin_merge.PendingListMerger(cursor=cursor, connect=side_connection_open)
            )
        while after < unique_rows:
            if reporter.cancelled.is_set():
                raise ImportCancelled
            upto = min(after + batch_size, unique_rows)
            counts = merge_batch_run(
                cursor=cursor, after=after, upto=upto, has_active=source.has_active
            )
            totals.created += counts.created
            totals.updated += counts.updated
            totals.unchanged += counts.unchanged
            after = upto
            reporter.update(
                processed_records=accounted + after,
                created_count=totals.created,
                updated_count=totals.updated,
                unchanged_count=totals.unchanged,
                progress=min(
                    99,
                    PARSE_SHARE + VALIDATE_SHARE + merge_share * after // unique_rows,
                ),
            )
            if merger is not None:
                merger.after_batch()
        if merger is not None:
            merger.finish()
    if reporter.cancelled.is_set():
        raise ImportCancelled
    return totals


# --- Finishing ------------------------------------------------------------------


def _job_summary(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "filename": job.filename,
        "total_records": job.total_records,
        "created_count": job.created_count,
        "updated_count": job.updated_count,
        "unchanged_count": job.unchanged_count,
        "invalid_count": job.invalid_count,
        "error_message": job.error_message,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "duration_seconds": job.duration_seconds,
    }


def _job_mark_completed(job: ImportJob, *, counts: MergeCounts) -> None:
    """Runs inside the import's transaction: the final state commits with it."""
    from catalog.services import catalog_rows_written

    job.status = ImportJob.Status.COMPLETED
    job.phase = ImportJob.Phase.COMPLETE
    job.progress = 100
    job.processed_records = job.total_records or 0
    job.created_count = counts.created
    job.updated_count = counts.updated
    job.unchanged_count = counts.unchanged
    job.finished_at = timezone.now()
    job.message = (
        f"Import complete: {counts.created:,} created, {counts.updated:,} updated, "
        f"{counts.unchanged:,} unchanged, {job.invalid_count:,} rejected"
    )
    job.save()
    event_record(event_type="import.completed", data=_job_summary(job))
    rows_written = counts.created + counts.updated
    transaction.on_commit(lambda: catalog_rows_written(rows=rows_written))


def _job_mark_failed(job: ImportJob, *, reason: str) -> None:
    with transaction.atomic():
        job.status = ImportJob.Status.FAILED
        job.phase = ImportJob.Phase.FAILED
        job.error_message = reason
        job.message = f"Import failed: {reason}"
        job.created_count = job.updated_count = job.unchanged_count = 0
        job.finished_at = timezone.now()
        job.error_report = ""
        job.save()
        event_record(event_type="import.failed", data=_job_summary(job))


def _job_mark_cancelled(job: ImportJob) -> None:
    job.status = ImportJob.Status.CANCELLED
    job.phase = ImportJob.Phase.CANCELLED
    job.message = "Import cancelled; no products were changed."
    job.created_count = job.updated_count = job.unchanged_count = 0
    job.error_report = ""
    job.finished_at = timezone.now()
    job.save()


def _job_publish(job: ImportJob, *, on_publish=None) -> None:
    from imports.pipeline.progress import progress_publish, redis_client

    payload = import_job_payload(job=job)
    try:
        progress_publish(client=redis_client(), payload=payload)
    except Exception:
        logger.warning("final state of import %s not published", job.pk)
    if on_publish is not None:
        on_publish(payload)
