"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The signature is HMAC-SHA256 over ``"{id}.{timestamp}.{body}"`` keyed with the
base64-decoded part of the ``whsec_`` secret, sent as ``v1,<base64>``.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_compute(
    *, secret: str, message_id: str, timestamp: int, body: str
) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    *, secrets_active: list[str], message_id: str, timestamp: int, body: str
) -> str:
    """One ``v1,…`` signature per active secret, space separated."""
    return " ".join(
        signature_compute(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        )
        for secret in secrets_active
    )


def signature_verify(
    *, secret: str, message_id: str, timestamp: int, body: str, header: str
) -> bool:
    expected = signature_compute(
        secret=secret, message_id=message_id, timestamp=timestamp, body=body
    )
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split())
