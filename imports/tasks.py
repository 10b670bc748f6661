"""Celery tasks of the import: thin wrappers around ``imports.services``.

Tasks are ``acks_late`` with ``reject_on_worker_lost`` (set globally), and
``import_job_run`` is idempotent, so a redelivered message is harmless.
"""

from celery import shared_task
from celery.signals import worker_ready

from imports import services


@shared_task(name="imports.tasks.import_job_run")
def import_job_run(job_id: int) -> None:
    services.import_job_run(job_id=job_id)


@shared_task(name="imports.tasks.import_jobs_recover")
def import_jobs_recover() -> None:
    services.import_jobs_recover()


@worker_ready.connect
def _imports_recover_on_worker_start(sender=None, **kwargs) -> None:
    """A worker that (re)starts picks up imports left behind by a dead one."""
    try:
        consumed = sender.app.amqp.queues.consume_from or {}
        queues = {queue.name for queue in consumed.values()}
    except AttributeError:
        queues = set()
    if not queues or "imports" in queues:
        import_jobs_recover.delay()
        # Once more when the dead worker's database session is surely gone
        # (beat repeats it every IMPORT_RECOVER_INTERVAL_SECONDS anyway).
        import_jobs_recover.apply_async(countdown=15)
