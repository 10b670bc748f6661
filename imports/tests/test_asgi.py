"""The ASGI upload size guard, driven with raw ASGI messages."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from imports.asgi import UploadSizeLimitMiddleware


def _call(app, *, path, headers, chunks):
    sent = []
    called = []

    async def inner(scope, receive, send):
        called.append(True)
        while True:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        if message["type"] != "http.disconnect":
            await send({"type": "http.response.start", "status": 202, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    queue = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]

    async def receive():
        return queue.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "headers": headers, "method": "POST"}
    # A thread of its own: Playwright's loop may be running in this one.
    with ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, app(inner)(scope, receive, send)).result()
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    return statuses, bool(called)


def test_declared_content_length_beyond_the_limit_is_refused_unread(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    statuses, called = _call(
        UploadSizeLimitMiddleware,
        path="/api/products/upload/",
        headers=[(b"content-length", b"10000000")],
        chunks=[b"x"],
    )
    assert statuses == [413]
    assert not called


def test_streamed_body_growing_past_the_limit_is_cut_off(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    statuses, _ = _call(
        UploadSizeLimitMiddleware,
        path="/api/products/upload/",
        headers=[],
        chunks=[b"x" * 40_000] * 3,
    )
    assert statuses == [413]


def test_uploads_within_the_limit_and_other_paths_pass(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    small, _ = _call(
        UploadSizeLimitMiddleware,
        path="/api/products/upload/",
        headers=[(b"content-length", b"3")],
        chunks=[b"abc"],
    )
    other, _ = _call(
        UploadSizeLimitMiddleware,
        path="/api/products/",
        headers=[(b"content-length", b"10000000")],
        chunks=[b"x"],
    )
    assert small == [202]
    assert other == [202]
