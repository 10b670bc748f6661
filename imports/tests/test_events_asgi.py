"""The SSE stream as served under ASGI (Django's async test client)."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.core.files.base import ContentFile
from django.db import connections
from django.test import AsyncClient

from imports.models import ImportJob
from imports.pipeline.progress import progress_publish, redis_client
from imports.selectors import import_job_payload
from imports.services import import_job_create

pytestmark = pytest.mark.django_db(transaction=True)


def _events(raw: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in raw.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


async def _read_stream(response, *, until_done: bool = True) -> bytes:
    chunks = []
    async for chunk in response.streaming_content:
        chunks.append(chunk if isinstance(chunk, bytes) else chunk.encode())
        if until_done and b"event: done" in chunk:
            break
    return b"".join(chunks)


def run_async(scenario):
    """Runs ``scenario`` and closes the connections its sync_to_async thread
    opened (else the test database cannot be dropped)."""

    async def wrapped():
        try:
            return await scenario()
        finally:
            await sync_to_async(connections.close_all)()

    # A thread of its own: Playwright's loop may be running in this one.
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, wrapped()).result()


def _job_pending() -> ImportJob:
    return import_job_create(
        file=ContentFile(b"sku\nA-1\n", name="p.csv"), filename="p.csv", enqueue=False
    )


def test_stream_relays_published_progress_until_done(user):
    job = _job_pending()
    client = AsyncClient()

    async def scenario():
        await sync_to_async(client.force_login)(user)
        response = await client.get(f"/api/imports/{job.pk}/events/")
        assert response["Content-Type"] == "text/event-stream"
        reader = asyncio.ensure_future(_read_stream(response))
        await asyncio.sleep(0.5)
        job.status, job.phase, job.processed_records = "processing", "importing", 7
        progress_publish(client=redis_client(), payload=import_job_payload(job=job))
        await asyncio.sleep(0.3)
        job.status, job.phase = "completed", "complete"
        progress_publish(client=redis_client(), payload=import_job_payload(job=job))
        return await asyncio.wait_for(reader, 10)

    raw = run_async(scenario)
    events = _events(raw)

    assert raw.startswith(b"retry: ")
    assert [name for name, _ in events] == ["progress", "progress", "progress", "done"]
    assert events[0][1]["status"] == "pending"
    assert events[1][1]["processed_records"] == 7
    assert events[-1][1]["status"] == "completed"


def test_stream_of_a_finished_job_ends_at_once(user, run_import_committed):
    job = run_import_committed(b"sku\nA-1\n")
    client = AsyncClient()

    async def scenario():
        await sync_to_async(client.force_login)(user)
        response = await client.get(f"/api/imports/{job.pk}/events/")
        return await asyncio.wait_for(_read_stream(response, until_done=False), 10)

    events = _events(run_async(scenario))

    assert [name for name, _ in events] == ["progress", "done"]
    assert events[1][1]["created_count"] == 1


def test_stream_falls_back_to_the_job_row_when_redis_has_no_news(user, settings):
    import imports.apis as apis

    job = _job_pending()
    client = AsyncClient()
    original = apis.SSE_DATABASE_CHECK_SECONDS
    apis.SSE_DATABASE_CHECK_SECONDS = 0.5

    async def scenario():
        await sync_to_async(client.force_login)(user)
        response = await client.get(f"/api/imports/{job.pk}/events/")
        reader = asyncio.ensure_future(_read_stream(response))
        await asyncio.sleep(0.3)
        # The job finishes but nothing is published (as after a Redis restart).
        await sync_to_async(ImportJob.objects.filter(pk=job.pk).update)(
            status="failed", phase="failed", error_message="boom"
        )
        return await asyncio.wait_for(reader, 10)

    try:
        events = _events(run_async(scenario))
    finally:
        apis.SSE_DATABASE_CHECK_SECONDS = original

    assert events[-1][0] == "done"
    assert events[-1][1]["error_message"] == "boom"


def test_stream_sends_heartbeat_comments_while_nothing_happens(user):
    import imports.apis as apis

    job = _job_pending()
    client = AsyncClient()
    original = apis.SSE_HEARTBEAT_SECONDS
    apis.SSE_HEARTBEAT_SECONDS = 0.2

    async def scenario():
        await sync_to_async(client.force_login)(user)
        response = await client.get(f"/api/imports/{job.pk}/events/")
        reader = asyncio.ensure_future(_read_stream(response))
        await asyncio.sleep(2.5)
        job.status, job.phase = "cancelled", "cancelled"
        progress_publish(client=redis_client(), payload=import_job_payload(job=job))
        return await asyncio.wait_for(reader, 10)

    try:
        raw = run_async(scenario)
    finally:
        apis.SSE_HEARTBEAT_SECONDS = original

    assert b": heartbeat\n\n" in raw
    assert _events(raw)[-1][0] == "done"
