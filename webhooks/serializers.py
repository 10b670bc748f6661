from rest_framework import serializers

from webhooks.events import EVENT_TYPES
from webhooks.models import URL_MAX_LENGTH, WebhookDelivery, WebhookDeliveryAttempt
from webhooks.selectors import webhook_last_delivery


class WebhookInputSerializer(serializers.Serializer):
    """Shape only; the services decide what a usable URL and event list are."""

    url = serializers.CharField(max_length=URL_MAX_LENGTH)
    events = serializers.ListField(child=serializers.CharField(max_length=64))
    enabled = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )

    def validate_events(self, events: list[str]) -> list[str]:
        unknown = [event for event in events if event not in EVENT_TYPES]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown event type {', '.join(repr(e) for e in unknown)}. "
                f"Choose from: {', '.join(EVENT_TYPES)}."
            )
        return events


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    description = serializers.CharField()
    secret = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_delivery = serializers.SerializerMethodField()

    def get_last_delivery(self, endpoint) -> dict | None:
        last = webhook_last_delivery(endpoint=endpoint)
        if last and last["attempted_at"]:
            last["attempted_at"] = serializers.DateTimeField().to_representation(
                last["attempted_at"]
            )
        return last


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDeliveryAttempt
        fields = [
            "id",
            "created_at",
            "succeeded",
            "request_url",
            "request_headers",
            "request_body",
            "response_status_code",
            "response_headers",
            "response_body",
            "duration_ms",
            "error",
        ]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.message_id")
    event_type = serializers.CharField(source="event.type")
    attempts = WebhookAttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_attempt_at",
            "created_at",
            "attempts",
        ]
