"""The outbound address guard: webhooks must not reach into private networks.

A URL is checked when it is saved (a friendly early error) and again at send
time on the address it resolves to. The request is then made to that checked
address (with the original Host header and TLS server name), so a DNS answer
that changes between the check and the connection (DNS rebinding) cannot
redirect the request to an internal host.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class AddressBlocked(Exception):
    """The URL resolves to an address webhooks may not reach."""


class AddressUnresolvable(Exception):
    """The host name does not resolve."""


@dataclass(frozen=True)
class ResolvedTarget:
    host: str
    port: int
    address: str


def private_networks_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def address_kind_blocked(address: str) -> str | None:
    """Names why ``address`` is off limits, or None when it is public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback"
    if ip.is_link_local:
        return "a link-local"
    if ip.is_multicast:
        return "a multicast"
    if ip.is_unspecified:
        return "an unspecified"
    if ip.is_private:
        return "a private"
    if ip.is_reserved or not ip.is_global:
        return "a reserved"
    return None


def _target_choose(host: str, port: int, addresses: list[str]) -> ResolvedTarget:
    if not addresses:
        raise AddressUnresolvable(f"Could not resolve host {host}.")
    if not private_networks_allowed():
        for address in addresses:
            kind = address_kind_blocked(address)
            if kind:
                raise AddressBlocked(
                    f"Blocked: {host} resolves to {address}, {kind} address. "
                    "Webhooks may only reach public addresses "
                    "(set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow this)."
                )
    return ResolvedTarget(host=host, port=port, address=addresses[0])


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, port


def _addresses(infos: list) -> list[str]:
    seen: list[str] = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


def target_resolve(url: str) -> ResolvedTarget:
    """Resolves the URL's host and checks every address it resolves to."""
    host, port = _host_port(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressUnresolvable(f"Could not resolve host {host}.")
    return _target_choose(host, port, _addresses(infos))


async def target_resolve_async(url: str) -> ResolvedTarget:
    host, port = _host_port(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        raise AddressUnresolvable(f"Could not resolve host {host}.")
    return _target_choose(host, port, _addresses(infos))


def url_check(url: str) -> None:
    """Raises AddressBlocked when a saved URL points into a private network.

    A host that does not resolve yet is accepted: DNS may be set up later, and
    the send-time check still applies.
    """
    try:
        target_resolve(url)
    except AddressUnresolvable:
        return
