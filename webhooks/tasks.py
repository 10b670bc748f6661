"""Thin Celery tasks for the ``webhooks`` queue (a threads-pool worker)."""

from celery import shared_task

from webhooks.services import (
    webhook_deliveries_prune,
    webhook_endpoint_drain,
    webhook_sweep,
)


@shared_task
def webhook_endpoint_drain_task(*, endpoint_id: int) -> int:
    # Idempotent: deliveries are claimed row by row, so a duplicate message
    # finds nothing left to do.
    return webhook_endpoint_drain(endpoint_id=endpoint_id)


@shared_task
def webhook_sweep_task() -> int:
    return webhook_sweep()


@shared_task
def webhook_deliveries_prune_task() -> int:
    return webhook_deliveries_prune()
