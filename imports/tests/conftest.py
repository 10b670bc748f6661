import pytest
from django.core.files.base import ContentFile

from imports.services import import_job_create, import_job_run


def _import_run(content: bytes, *, filename: str = "products.csv", user=None):
    """Imports ``content`` (bytes) through the whole pipeline, synchronously."""
    job = import_job_create(
        file=ContentFile(content, name=filename),
        filename=filename,
        user=user,
        enqueue=False,
    )
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def run_import(db):
    """Imports ``content`` (bytes) through the whole pipeline, synchronously."""
    return _import_run


@pytest.fixture
def run_import_committed(transactional_db):
    """Like ``run_import`` for tests whose data must be committed."""
    return _import_run
