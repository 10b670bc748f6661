from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

URL_MAX_LENGTH = 2000
RESPONSE_BODY_SNIPPET_CHARS = 2000


class WebhookEndpoint(models.Model):
    class DisabledReason(models.TextChoices):
        NONE = "", "Not disabled automatically"
        GONE = "gone", "The endpoint answered 410 Gone"
        FAILING = "failing", "Every delivery failed for 3 days"

    url = models.URLField(max_length=URL_MAX_LENGTH)
    events = ArrayField(models.CharField(max_length=64), default=list)
    enabled = models.BooleanField(default=True)
    description = models.CharField(max_length=255, blank=True, default="")
    secret = models.CharField(max_length=100)
    # After a rotation the old secret keeps signing alongside the new one for a
    # while, so receivers can switch over without dropping messages.
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Set on the first failure after a success; cleared by the next success.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(
        max_length=16, choices=DisabledReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["enabled"], name="webhooks_endpoint_enabled"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One announced change; ``body`` is the exact JSON sent to every endpoint."""

    message_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WebhookDelivery(models.Model):
    """The outbox row: one event for one endpoint, attempted until it succeeds
    or the retry schedule runs out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that takes a delivery holds it until this time; if the worker
    # dies the claim lapses and the sweep hands the delivery out again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="webhooks_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"


class WebhookDeliveryAttempt(models.Model):
    """One HTTP request and what came back: the delivery log."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts"
    )
    request_url = models.CharField(max_length=URL_MAX_LENGTH)
    request_headers = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    request_body = models.TextField()
    succeeded = models.BooleanField(default=False)
    response_status_code = models.PositiveIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True, default="")
    duration_ms = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhooks_attempt_endpoint"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}"
