import factory

from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookEndpoint
from webhooks.signing import secret_generate


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/receive")
    events = factory.LazyFunction(lambda: list(EVENT_TYPES))
    enabled = True
    secret = factory.LazyFunction(secret_generate)
