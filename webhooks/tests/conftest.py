import socket

import pytest

from webhooks.tests.receiver import Receiver


@pytest.fixture
def private_networks_allowed(settings):
    """The receiver runs on 127.0.0.1, which the guard refuses by default."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def receiver(private_networks_allowed):
    with Receiver() as running:
        yield running


@pytest.fixture
def refused_url() -> str:
    """A local URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
