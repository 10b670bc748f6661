"""Everything that changes webhook state (reads are in ``webhooks.selectors``)."""

from webhooks.services.deliveries import (
    ADVISORY_LOCK_NAMESPACE,
    retry_delay,
    webhook_deliver,
    webhook_deliveries_prune,
    webhook_delivery_redeliver,
    webhook_endpoint_drain,
    webhook_request_headers,
    webhook_sweep,
    webhook_test_send,
)
from webhooks.services.endpoints import (
    webhook_create,
    webhook_delete,
    webhook_enabled_set,
    webhook_events_validate,
    webhook_secret_rotate,
    webhook_secrets_active,
    webhook_update,
    webhook_url_validate,
)

__all__ = [
    "ADVISORY_LOCK_NAMESPACE",
    "retry_delay",
    "webhook_create",
    "webhook_delete",
    "webhook_deliver",
    "webhook_deliveries_prune",
    "webhook_delivery_redeliver",
    "webhook_enabled_set",
    "webhook_endpoint_drain",
    "webhook_events_validate",
    "webhook_request_headers",
    "webhook_secret_rotate",
    "webhook_secrets_active",
    "webhook_sweep",
    "webhook_test_send",
    "webhook_update",
    "webhook_url_validate",
]
