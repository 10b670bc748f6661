from django import forms

from webhooks.events import EVENT_TYPES
from webhooks.models import URL_MAX_LENGTH


class WebhookForm(forms.Form):
    """Shape of the add/edit form; the services validate the URL itself."""

    url = forms.CharField(
        label="Endpoint URL",
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(
            attrs={"placeholder": "https://example.com/webhooks", "class": "mono"}
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=[(event, event) for event in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event type."},
    )
    description = forms.CharField(label="Description", max_length=255, required=False)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)
