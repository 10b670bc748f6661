"""The helper that merges the trigram indexes' pending lists during an import."""

import pytest
from django.db import connection

from catalog.models import Product
from imports.models import ImportJob
from imports.pipeline import gin


@pytest.fixture
def mergers(monkeypatch):
    """Runs the helper for any import, merging often; records each one."""
    created = []
    original_init = gin.PendingListMerger.__init__

    def init(self, **kwargs):
        original_init(self, **kwargs)
        self.interval = 0.001
        self.limits = []
        created.append(self)

    original_limit_set = gin.PendingListMerger._limit_set

    def limit_set(self, value):
        self.limits.append(value)
        original_limit_set(self, value)

    monkeypatch.setattr(gin, "MIN_ROWS", 1)
    monkeypatch.setattr(gin.PendingListMerger, "__init__", init)
    monkeypatch.setattr(gin.PendingListMerger, "_limit_set", limit_set)
    return created


def csv_rows(count: int, *, name: str) -> bytes:
    rows = "\n".join(
        f"SKU-{number},{name} {number},Text about item {number}"
        for number in range(count)
    )
    return f"sku,name,description\n{rows}\n".encode()


def test_import_with_helper_gives_the_same_result(run_import, mergers, settings):
    settings.IMPORT_BATCH_SIZE = 50
    first = run_import(csv_rows(600, name="Kettle"))
    second = run_import(csv_rows(600, name="Kettle") + b"sku-7,Renamed,New\n")

    assert (first.created_count, first.updated_count) == (600, 0)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (
        0,
        1,
        599,
    )
    assert Product.objects.get(sku__iexact="sku-7").name == "Renamed"
    # The trigram indexes find the imported rows.
    assert Product.objects.filter(description__icontains="about item 59").count() == 11
    merger = mergers[0]
    assert merger.active
    assert len(merger.indexes) == 3
    assert merger.merges >= 2  # the probe and the final merge, at least
    # Raised for the upserts, given back before the job is marked completed.
    assert merger.limits == [gin.IMPORT_PENDING_LIMIT, None]


def test_import_goes_on_when_the_helper_cannot_start(run_import, mergers, monkeypatch):
    def refuse():
        raise OSError("no second connection")

    monkeypatch.setattr("imports.services.side_connection_open", refuse)

    job = run_import(csv_rows(100, name="Cup"))

    assert job.status == ImportJob.Status.COMPLETED
    assert job.created_count == 100
    assert not mergers[0].active
    assert mergers[0].limits == []


def test_import_gets_the_default_limit_back_when_the_helper_fails(
    run_import, mergers, monkeypatch, settings
):
    settings.IMPORT_BATCH_SIZE = 10
    original_merge_all = gin.PendingListMerger._merge_all
    calls = []

    def merge_all_once(self):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("lost the connection")
        original_merge_all(self)

    monkeypatch.setattr(gin.PendingListMerger, "_merge_all", merge_all_once)
    original_after_batch = gin.PendingListMerger.after_batch

    def after_batch(self):
        # Let the helper fail before the first batch is over.
        self._failed.wait(5)
        original_after_batch(self)

    monkeypatch.setattr(gin.PendingListMerger, "after_batch", after_batch)

    job = run_import(csv_rows(100, name="Pan"))

    assert job.status == ImportJob.Status.COMPLETED
    assert job.created_count == 100
    assert mergers[0].limits == [gin.IMPORT_PENDING_LIMIT, None]
    with connection.cursor() as cursor:
        # SET LOCAL would outlive the import in an enclosing transaction.
        cursor.execute(
            "SELECT setting = reset_val FROM pg_settings "
            "WHERE name = 'gin_pending_list_limit'"
        )
        assert cursor.fetchone()[0]


def test_a_failing_import_stops_the_helper_and_changes_nothing(
    run_import, mergers, monkeypatch, settings
):
    from imports.services import merge_batch_run

    settings.IMPORT_BATCH_SIZE = 10
    calls = []

    def batch_then_fail(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return merge_batch_run(**kwargs)

    monkeypatch.setattr("imports.services.merge_batch_run", batch_then_fail)

    job = run_import(csv_rows(100, name="Pot"))

    assert job.status == ImportJob.Status.FAILED
    assert not Product.objects.exists()
    merger = mergers[0]
    assert merger.active
    assert merger._thread is None
    assert merger._db is None
