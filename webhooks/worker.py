"""Process set-up for the Celery worker that delivers webhooks."""

import logging
import os

from celery.signals import celeryd_after_setup
from django.conf import settings

logger = logging.getLogger(__name__)


@celeryd_after_setup.connect
def webhook_worker_priority_lower(sender, instance, **kwargs) -> None:
    """A worker that only delivers webhooks runs at a lower CPU priority.

    Deliveries can wait a few milliseconds; a product update a user is
    waiting for should not. On a small machine the web server then keeps its
    response times while the worker catches up in the gaps.
    """
    queues = set(instance.app.amqp.queues.consume_from or {})
    niceness = int(getattr(settings, "WEBHOOK_WORKER_NICE", 10))
    if queues == {"webhooks"} and niceness > 0:
        os.nice(niceness)
        logger.info("Webhooks worker running at niceness +%s", niceness)
