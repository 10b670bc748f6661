"""A real Celery worker is killed with SIGKILL in the middle of an import; the
next worker finishes the job with exactly the right data."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from celery import current_app
from django.core.files.base import ContentFile
from django.db import connection

from catalog.models import Product
from imports.models import ImportJob
from imports.services import import_job_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # send_task always goes to the broker; here that is the point.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

BASE_DIR = Path(__file__).resolve().parents[2]
ROWS = 120_000


def _csv_and_expected() -> tuple[bytes, dict[str, str]]:
    lines = ["sku,name"]
    expected: dict[str, tuple[str, str]] = {}
    for number in range(ROWS):
        # Every 20th row repeats an earlier SKU in other casing, with a new name.
        sku = f"sku-{number - 10:06d}" if number % 20 == 19 else f"SKU-{number:06d}"
        name = f"Product {number}"
        lines.append(f"{sku},{name}")
        expected[sku.lower()] = (sku, name)
    content = ("\n".join(lines) + "\n").encode()
    return content, {sku: name for sku, name in expected.values()}


def _worker_start(settings) -> subprocess.Popen:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    # The embedded server is reached through a socket directory given as the
    # `host` option (DATABASE_URL ...?host=/path): pass such options along.
    options = urlencode(
        {key: value for key, value in db["OPTIONS"].items() if isinstance(value, str)}
    )
    query = f"?{options}" if options else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{host}{port}/{db['NAME']}{query}",
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SECRET_KEY": "worker-test",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "IMPORT_BATCH_SIZE": "1000",
        "IMPORT_JOB_SAVE_INTERVAL_SECONDS": "0.2",
    }
    celery = Path(sys.executable).parent / "celery"
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "config",
            "worker",
            "-Q",
            "imports",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"sigkill-test-{time.monotonic_ns()}@%h",
            "-l",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def _wait(check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_import_killed_mid_way_completes_exactly_on_the_next_worker(settings):
    # given: an import running on a real worker
    content, expected = _csv_and_expected()
    job = import_job_create(
        file=ContentFile(content, name="big.csv"), filename="big.csv", enqueue=False
    )
    current_app.send_task(
        "imports.tasks.import_job_run", args=[job.pk], queue="imports"
    )
    first = _worker_start(settings)
    second = None
    try:
        _wait(
            lambda: ImportJob.objects.filter(
                pk=job.pk, phase=ImportJob.Phase.IMPORTING, processed_records__gt=20_000
            ).exists(),
            timeout=90,
        )

        # when: the worker dies without warning
        _kill(first)

        # then: nothing of the half-done import is visible
        assert Product.objects.count() == 0
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PROCESSING

        # when: a worker runs again
        second = _worker_start(settings)

        # then: the job completes with exactly the file's data
        finished = _wait(
            lambda: ImportJob.objects.filter(
                pk=job.pk, status__in=ImportJob.TERMINAL_STATUSES
            ).first(),
            timeout=120,
        )
    finally:
        _kill(first)
        if second is not None:
            _kill(second)

    assert finished.status == ImportJob.Status.COMPLETED, finished.error_message
    assert finished.attempts >= 2
    assert finished.created_count == len(expected)
    assert (finished.updated_count, finished.unchanged_count) == (0, 0)
    assert dict(Product.objects.values_list("sku", "name")) == expected
