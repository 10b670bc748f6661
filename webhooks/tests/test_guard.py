import pytest
from django.core.exceptions import ValidationError

from webhooks.guard import address_kind_blocked
from webhooks.services import webhook_create


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback"),
        ("::1", "a loopback"),
        ("10.1.2.3", "a private"),
        ("192.168.0.10", "a private"),
        ("172.16.5.4", "a private"),
        ("169.254.169.254", "a link-local"),
        ("fe80::1", "a link-local"),
        ("224.0.0.1", "a multicast"),
        ("0.0.0.0", "an unspecified"),
        ("::ffff:127.0.0.1", "a loopback"),
        ("100.64.0.1", "a reserved"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind_blocked(address) == kind


@pytest.mark.django_db
def test_saving_a_private_url_is_refused_with_a_clear_message(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    with pytest.raises(ValidationError) as raised:
        webhook_create(url="http://10.0.0.5/hook", events=["product.created"])

    assert raised.value.message_dict["url"] == [
        "Blocked: 10.0.0.5 resolves to 10.0.0.5, a private address. Webhooks may "
        "only reach public addresses (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to "
        "allow this)."
    ]


@pytest.mark.django_db
def test_saving_a_private_url_is_allowed_when_configured(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

    endpoint = webhook_create(url="http://10.0.0.5/hook", events=["product.created"])

    assert endpoint.secret.startswith("whsec_")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "Use an http:// or https:// URL."),
        ("not a url", "Use an http:// or https:// URL."),
        ("https://", "Enter a valid URL, e.g. https://example.com/hooks."),
    ],
)
def test_invalid_urls_are_refused(url, message):
    with pytest.raises(ValidationError) as raised:
        webhook_create(url=url, events=["product.created"])

    assert raised.value.message_dict["url"] == [message]
