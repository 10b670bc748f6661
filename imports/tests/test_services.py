"""The import pipeline end to end on the real database (run in-process)."""

import csv
import io

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from catalog.locks import catalog_write_lock
from catalog.models import Product
from imports.models import ImportJob
from imports.pipeline.reader import CP1252_WARNING
from imports.services import (
    import_job_cancel,
    import_job_retry,
    import_jobs_recover,
)


def products() -> dict[str, tuple]:
    return {
        product.sku: (product.name, product.description, product.active)
        for product in Product.objects.all()
    }


def test_first_import_creates_every_product(run_import):
    job = run_import(b"sku,name,description\nA-1,Kettle,Hot\nA-2,Cup,Small\n")

    assert job.status == ImportJob.Status.COMPLETED
    assert job.phase == ImportJob.Phase.COMPLETE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (2, 0, 0)
    assert job.total_records == 2
    assert job.processed_records == 2
    assert job.progress == 100
    assert products() == {"A-1": ("Kettle", "Hot", True), "A-2": ("Cup", "Small", True)}


def test_last_row_wins_within_a_file_and_sku_keeps_the_last_casing(run_import):
    job = run_import(b"sku,name\nab-1,First\nB-2,Only\nAB-1,Second\nAb-1,Third\n")

    assert products() == {"Ab-1": ("Third", "", True), "B-2": ("Only", "", True)}
    assert (job.created_count, job.updated_count, job.unchanged_count) == (2, 0, 0)
    assert job.total_records == 4
    assert any("last row for each SKU" in warning for warning in job.warnings)


def test_existing_product_is_overwritten_case_insensitively(run_import):
    Product.objects.create(sku="abc-1", name="Old", description="Old text")

    job = run_import(b"sku,name,description\nABC-1,New,New text\n")

    assert products() == {"ABC-1": ("New", "New text", True)}
    assert (job.created_count, job.updated_count) == (0, 1)


def test_reimport_of_same_file_changes_nothing(run_import):
    content = b"sku,name,description\nA-1,Kettle,Hot\nA-2,Cup,Small\n"
    run_import(content)
    before = {p.sku: p.updated_at for p in Product.objects.all()}

    job = run_import(content)

    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert {p.sku: p.updated_at for p in Product.objects.all()} == before


def test_changed_rows_count_as_updated_and_get_a_new_updated_at(run_import):
    run_import(b"sku,name\nA-1,Kettle\nA-2,Cup\nA-3,Mug\n")
    old = Product.objects.get(sku="A-2").updated_at

    job = run_import(b"sku,name\nA-1,Kettle\nA-2,Cup XL\na-3,Mug\nA-4,Pan\n")

    # A-3 only changed the casing of its SKU: that is a change too.
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 2, 1)
    assert Product.objects.get(sku="A-2").updated_at > old
    assert Product.objects.filter(sku="a-3").exists()


def test_active_is_kept_without_active_column_and_new_products_are_active(
    run_import,
):
    Product.objects.create(sku="A-1", name="Kettle", active=False)

    job = run_import(b"sku,name\nA-1,Kettle\nA-2,Cup\n")

    assert products() == {"A-1": ("Kettle", "", False), "A-2": ("Cup", "", True)}
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 0, 1)


def test_active_column_sets_the_flag_and_empty_cells_keep_it(run_import):
    Product.objects.create(sku="A-1", name="Kettle", active=False)
    Product.objects.create(sku="A-2", name="Cup", active=True)
    Product.objects.create(sku="A-3", name="Mug", active=False)

    job = run_import(
        b"sku,name,active\nA-1,Kettle,yes\nA-2,Cup,0\nA-3,Mug,\nA-4,Pan,no\nA-5,Pot,\n"
    )

    assert products() == {
        "A-1": ("Kettle", "", True),
        "A-2": ("Cup", "", False),
        "A-3": ("Mug", "", False),
        "A-4": ("Pan", "", False),
        "A-5": ("Pot", "", True),
    }
    assert (job.created_count, job.updated_count, job.unchanged_count) == (2, 2, 1)


def test_rejected_rows_go_to_the_error_report_and_the_rest_imports(run_import):
    content = (
        "sku,name,description\n"
        "A-1,Kettle,Hot\n"
        ",Nameless,No sku\n"
        f"A-2,{'n' * 300},Too long\n"
        "A-3,Cup,Small\n"
    ).encode()

    job = run_import(content)

    assert job.status == ImportJob.Status.COMPLETED
    assert set(products()) == {"A-1", "A-3"}
    assert job.invalid_count == 2
    assert job.total_records == 4
    with default_storage.open(job.error_report.name, "r") as report:
        rows = list(csv.reader(io.StringIO(report.read())))
    assert rows[0] == ["line", "column", "reason", "sku", "name", "description"]
    assert rows[1] == ["3", "sku", "SKU is empty", "", "Nameless", "No sku"]
    assert rows[2][:2] == ["4", "name"]
    assert rows[2][3] == "A-2"


def test_cp1252_file_imports_with_a_warning(run_import):
    content = "sku,name\nA-1,Caf\u00e9\nA-2,Cr\u00e8me br\u00fbl\u00e9e\n".encode(
        "cp1252"
    )

    job = run_import(content)

    assert job.status == ImportJob.Status.COMPLETED
    assert CP1252_WARNING in job.warnings
    assert products()["A-2"][0] == "Crème brûlée"


def test_cp1252_byte_late_in_a_file_restarts_staging_cleanly(run_import):
    lines = [b"sku,name"] + [b"A-%d,Plain" % number for number in range(25_000)]
    lines.append("Z-1,Caf\u00e9".encode("cp1252"))

    job = run_import(b"\n".join(lines) + b"\n")

    assert job.created_count == 25_001
    assert Product.objects.count() == 25_001
    assert Product.objects.get(sku="Z-1").name == "Café"


@pytest.mark.parametrize(
    "content",
    [
        b"code,title\n1,Kettle\n",
        b"sku,name\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" * 20,
        b"   \n",
    ],
    ids=["no-sku-column", "header-only", "binary", "blank"],
)
def test_a_file_that_is_not_a_product_csv_fails_and_changes_nothing(
    run_import, content
):
    Product.objects.create(sku="KEEP-1", name="Untouched")

    job = run_import(content)

    assert job.status == ImportJob.Status.FAILED
    assert job.phase == ImportJob.Phase.FAILED
    assert job.error_message
    assert job.message.startswith("Import failed: ")
    assert products() == {"KEEP-1": ("Untouched", "", True)}


def test_gzip_upload_imports(run_import):
    import gzip

    job = run_import(gzip.compress(b"sku,name\nA-1,Kettle\n"), filename="p.csv.gz")

    assert job.status == ImportJob.Status.COMPLETED
    assert products() == {"A-1": ("Kettle", "", True)}


def test_batches_give_exact_counts(run_import, settings):
    settings.IMPORT_BATCH_SIZE = 7
    Product.objects.bulk_create(
        [Product(sku=f"P-{number}", name="same") for number in range(0, 40, 2)]
    )
    rows = "\n".join(
        f"p-{number},{'same' if number < 20 else 'new'}" for number in range(40)
    )

    job = run_import(f"sku,name\n{rows}\n".encode())

    # Even numbers existed: 0..18 differ only in SKU casing -> updated (10);
    # 20..38 changed name -> updated (10); odd numbers are new (20).
    assert (job.created_count, job.updated_count, job.unchanged_count) == (20, 20, 0)
    assert Product.objects.count() == 40


def test_cancel_of_a_pending_job_finishes_it_at_once(run_import, db):
    from django.core.files.base import ContentFile

    from imports.services import import_job_create, import_job_run

    job = import_job_create(
        file=ContentFile(b"sku\nA-1\n", name="p.csv"), filename="p.csv", enqueue=False
    )

    job = import_job_cancel(job=job)
    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not Product.objects.exists()


def test_retry_runs_a_failed_job_again_from_its_stored_file(run_import):
    failed = run_import(b"code\nA-1\n")

    retry = import_job_retry(job=failed)

    assert retry.pk != failed.pk
    assert retry.retry_of_id == failed.pk
    assert retry.file.name == failed.file.name
    assert retry.status == ImportJob.Status.PENDING


def test_completed_job_cannot_be_retried(run_import):
    job = run_import(b"sku\nA-1\n")
    with pytest.raises(ValueError):
        import_job_retry(job=job)


def test_running_a_finished_job_again_does_nothing(run_import):
    from imports.services import import_job_run

    job = run_import(b"sku,name\nA-1,Kettle\n")
    Product.objects.all().delete()

    import_job_run(job_id=job.pk)

    assert not Product.objects.exists()


def test_recover_requeues_processing_jobs_nobody_is_running(
    run_import, django_capture_on_commit_callbacks
):
    job = run_import(b"sku\nA-1\n")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PROCESSING)

    with django_capture_on_commit_callbacks() as callbacks:
        requeued = import_jobs_recover()

    assert requeued == [job.pk]
    assert len(callbacks) == 1


def test_recover_leaves_jobs_whose_lock_is_held(run_import):
    from imports.services import JOB_LOCK_CLASS

    job = run_import(b"sku\nA-1\n")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PROCESSING)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, job.pk])
    try:
        # Another session must see the lock as taken: the recovery checks
        # with its own connection in a worker; here a second connection.
        from imports.pipeline.progress import side_connection_open

        with side_connection_open() as other:
            taken = not other.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, job.pk]
            ).fetchone()[0]
        assert taken
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCK_CLASS, job.pk]
            )


def test_import_waits_for_the_catalog_lock_and_says_so(run_import):
    """While another session holds the catalog lock the job reports waiting;
    it proceeds as soon as the lock is free."""
    import threading

    from django.core.files.base import ContentFile

    from imports.pipeline.progress import side_connection_open
    from imports.services import import_job_create, import_job_run

    job = import_job_create(
        file=ContentFile(b"sku\nA-1\n", name="p.csv"), filename="p.csv", enqueue=False
    )
    holder = side_connection_open()
    from catalog.locks import CATALOG_WRITE_LOCK_KEY

    holder.execute("SELECT pg_advisory_lock(%s)", [CATALOG_WRITE_LOCK_KEY])
    published = []
    releaser = threading.Timer(1.5, holder.close)
    releaser.start()
    try:
        import_job_run(job_id=job.pk, on_publish=published.append)
    finally:
        releaser.cancel()
        holder.close()

    assert any(
        state["phase"] == "waiting" and state["message"].startswith("Waiting for")
        for state in published
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMPLETED


def test_catalog_lock_is_free_after_an_import(run_import):
    run_import(b"sku\nA-1\n")
    with catalog_write_lock(wait=False):
        pass


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_waiting_import_stops_it_without_changes():
    import threading

    from django.core.files.base import ContentFile

    from catalog.locks import CATALOG_WRITE_LOCK_KEY
    from imports.pipeline.progress import side_connection_open
    from imports.services import import_job_create, import_job_run

    job = import_job_create(
        file=ContentFile(b"sku\nA-1\n", name="p.csv"), filename="p.csv", enqueue=False
    )
    holder = side_connection_open()
    holder.execute("SELECT pg_advisory_lock(%s)", [CATALOG_WRITE_LOCK_KEY])

    def cancel():
        try:
            import_job_cancel(job=ImportJob(pk=job.pk))
        finally:
            connection.close()

    def cancel_when_waiting(state):
        if state["phase"] == "waiting" and state["message"].startswith("Waiting"):
            threading.Thread(target=cancel).start()

    try:
        finished = import_job_run(job_id=job.pk, on_publish=cancel_when_waiting)
    finally:
        holder.close()

    assert finished.status == ImportJob.Status.CANCELLED
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CANCELLED
    assert not Product.objects.exists()


@pytest.fixture
def recorded_events(monkeypatch):
    """Events the import announces, and whether each came inside a transaction."""
    events = []

    def record(*, event_type, data):
        events.append((event_type, data, connection.in_atomic_block))

    monkeypatch.setattr("imports.services.event_record", record)
    return events


def test_completed_import_records_one_event_with_the_summary(
    run_import, recorded_events
):
    job = run_import(b"sku\nA-1\nA-2\n,x\n")

    assert len(recorded_events) == 1
    event_type, data, in_transaction = recorded_events[0]
    assert event_type == "import.completed"
    assert in_transaction
    assert data["id"] == job.pk
    assert (data["created_count"], data["invalid_count"]) == (2, 1)
    assert data["status"] == "completed"


def test_failed_import_records_one_failed_event(run_import, recorded_events):
    job = run_import(b"code\n1\n")

    assert [(kind, data["id"]) for kind, data, _ in recorded_events] == [
        ("import.failed", job.pk)
    ]
    assert "sku" in recorded_events[0][1]["error_message"]
