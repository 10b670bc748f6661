"""ASGI middleware that refuses oversized import uploads before reading them.

Django's ASGI handler reads the whole request body (to a temporary file)
before any view runs, so the upload view's own size checks come only after a
too-large file has been received. Wrapping the application with
:class:`UploadSizeLimitMiddleware` answers 413 as soon as the declared
``Content-Length`` is too large, and cuts a body off once it grows past the
limit while streaming (chunked uploads). Wire it in ``config/asgi.py``::

    application = UploadSizeLimitMiddleware(get_asgi_application())
"""

import json

from django.conf import settings

from imports.uploads import MULTIPART_OVERHEAD_BYTES

UPLOAD_PATH = "/api/products/upload/"


def _too_large_body() -> bytes:
    limit_mb = settings.IMPORT_MAX_UPLOAD_BYTES / 1024 / 1024
    return json.dumps(
        {"detail": f"The file is larger than the limit of {limit_mb:,.0f} MB."}
    ).encode()


class UploadSizeLimitMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != UPLOAD_PATH:
            return await self.app(scope, receive, send)
        limit = settings.IMPORT_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > limit:
            return await self._refuse(send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; to Django the client has gone away, so it
                    # stops reading and sends nothing itself.
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, limited_receive, send)

    async def _refuse(self, send) -> None:
        body = _too_large_body()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
