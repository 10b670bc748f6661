"""Sends one signed webhook request and describes what happened.

Redirects are not followed, the whole request is bounded by
``WEBHOOK_TIMEOUT_SECONDS``, and the connection goes to the address the guard
checked (see :mod:`webhooks.guard`).
"""

import functools
import ssl
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import certifi
import httpx
from django.conf import settings
from django.utils import timezone

from webhooks.guard import (
    AddressBlocked,
    AddressUnresolvable,
    ResolvedTarget,
    target_resolve,
    target_resolve_async,
)

RESPONSE_BODY_MAX_BYTES = 2000
USER_AGENT = "ProductImporter-Webhooks/1.0"


@dataclass
class SendResult:
    ok: bool
    status_code: int | None
    response_time_ms: float
    error: str | None
    response_body: str = ""
    response_headers: dict = field(default_factory=dict)
    retry_after_seconds: float | None = None

    @property
    def summary(self) -> str:
        """What the UI shows: ``200 OK · 84 ms`` or the error."""
        if self.status_code is None:
            return self.error or "No response"
        try:
            phrase = HTTPStatus(self.status_code).phrase
        except ValueError:
            phrase = ""
        return (
            f"{self.status_code} {phrase}".strip()
            + f" · {self.response_time_ms:.0f} ms"
        )


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def ssl_context() -> ssl.SSLContext:
    bundle = getattr(settings, "WEBHOOK_CA_BUNDLE", "") or certifi.where()
    return _ssl_context_for(bundle)


@functools.cache
def _ssl_context_for(bundle: str) -> ssl.SSLContext:
    # Built once: loading the CA bundle costs more than a local request.
    return ssl.create_default_context(cafile=bundle)


def _pinned_request_args(
    url: str, target: ResolvedTarget, headers: dict[str, str]
) -> tuple[str, dict[str, str], dict]:
    original = httpx.URL(url)
    pinned_url = str(original.copy_with(host=target.address))
    pinned_headers = {**headers, "Host": original.netloc.decode("ascii")}
    extensions = {"sni_hostname": original.host} if original.scheme == "https" else {}
    return pinned_url, pinned_headers, extensions


def retry_after_parse(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _error_describe(error: Exception, timeout: float) -> str:
    if isinstance(error, AddressBlocked | AddressUnresolvable):
        return str(error)
    if isinstance(error, httpx.TimeoutException):
        return f"Timed out after {timeout:g} s"
    message = str(error)
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(cause).lower():
            return "Connection refused"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, httpx.ConnectError):
        return f"Could not connect: {message}"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _result_from_response(
    response: httpx.Response, body: bytes, started: float
) -> SendResult:
    elapsed = (time.perf_counter() - started) * 1000
    ok = 200 <= response.status_code < 300
    error = None
    if not ok:
        error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.is_redirect:
            error += " (redirects are not followed)"
    return SendResult(
        ok=ok,
        status_code=response.status_code,
        response_time_ms=round(elapsed, 1),
        error=error,
        response_body=body[:RESPONSE_BODY_MAX_BYTES].decode("utf-8", "replace"),
        response_headers=dict(response.headers),
        retry_after_seconds=retry_after_parse(response.headers.get("retry-after")),
    )


def _client_options(timeout: float) -> dict:
    """What every delivery client shares: no redirects, no proxies from the
    environment, certificates verified against the configured CA bundle."""
    return {
        "timeout": timeout,
        "follow_redirects": False,
        "trust_env": False,
        "verify": ssl_context(),
    }


def request_send(*, url: str, headers: dict[str, str], body: str) -> SendResult:
    timeout = timeout_seconds()
    started = time.perf_counter()
    try:
        target = target_resolve(url)
        pinned_url, pinned_headers, extensions = _pinned_request_args(
            url, target, headers
        )
        with (
            httpx.Client(**_client_options(timeout)) as client,
            client.stream(
                "POST",
                pinned_url,
                content=body.encode(),
                headers=pinned_headers,
                extensions=extensions,
            ) as response,
        ):
            received = b""
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= RESPONSE_BODY_MAX_BYTES:
                    break
            return _result_from_response(response, received, started)
    except Exception as error:
        return SendResult(
            ok=False,
            status_code=None,
            response_time_ms=round((time.perf_counter() - started) * 1000, 1),
            error=_error_describe(error, timeout),
        )


async def request_send_async(
    *, url: str, headers: dict[str, str], body: str
) -> SendResult:
    """Same as :func:`request_send` without holding a thread while it waits."""
    timeout = timeout_seconds()
    started = time.perf_counter()
    try:
        target = await target_resolve_async(url)
        pinned_url, pinned_headers, extensions = _pinned_request_args(
            url, target, headers
        )
        async with (
            httpx.AsyncClient(**_client_options(timeout)) as client,
            client.stream(
                "POST",
                pinned_url,
                content=body.encode(),
                headers=pinned_headers,
                extensions=extensions,
            ) as response,
        ):
            received = b""
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) >= RESPONSE_BODY_MAX_BYTES:
                    break
            return _result_from_response(response, received, started)
    except Exception as error:
        return SendResult(
            ok=False,
            status_code=None,
            response_time_ms=round((time.perf_counter() - started) * 1000, 1),
            error=_error_describe(error, timeout),
        )
