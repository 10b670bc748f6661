"""The import API: upload, job status, history, events (SSE), report, retry,
cancel. Views check input and call one service or selector."""

from __future__ import annotations

import asyncio
import json
import time

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from imports.models import ImportJob
from imports.pipeline.progress import progress_channel, progress_state_key
from imports.selectors import import_job_get, import_job_list, import_job_payload
from imports.serializers import (
    DetailSerializer,
    ImportJobSerializer,
    ImportUploadSerializer,
)
from imports.services import (
    import_job_cancel,
    import_job_create,
    import_job_retry,
)
from imports.uploads import ImportUploadHandler, upload_content_length_too_large

TERMINAL_STATUSES = {status.value for status in ImportJob.TERMINAL_STATUSES}
# EventSource reconnects after this many milliseconds when a stream ends.
SSE_RETRY_MS = 1500
SSE_HEARTBEAT_SECONDS = 10.0
SSE_DATABASE_CHECK_SECONDS = 5.0


def _too_large_response() -> Response:
    limit_mb = settings.IMPORT_MAX_UPLOAD_BYTES / 1024 / 1024
    return Response(
        {"detail": f"The file is larger than the limit of {limit_mb:,.0f} MB."},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _job_or_404(job_id: int) -> ImportJob | Response:
    job = import_job_get(job_id=job_id)
    if job is None:
        return Response({"detail": "No such import."}, status=404)
    return job


@extend_schema(
    request={"multipart/form-data": ImportUploadSerializer},
    responses={
        202: ImportJobSerializer,
        400: DetailSerializer,
        413: DetailSerializer,
    },
)
class ImportUploadApi(APIView):
    """``POST /api/products/upload/``: multipart field ``file`` → 202 + job."""

    parser_classes = [MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body (the CSRF check of session auth
        # does): the file must stream to disk with the size limit enforced.
        request.upload_handlers = [ImportUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def post(self, request):
        try:
            content_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            content_length = 0
        if upload_content_length_too_large(content_length=content_length):
            return _too_large_response()
        upload = request.FILES.get("file")
        if getattr(request._request, "import_upload_too_large", False):
            return _too_large_response()
        if upload is None:
            return Response(
                {
                    "detail": "No file was uploaded: send it in the "
                    "field \u201cfile\u201d."
                },
                status=400,
            )
        if not upload.size:
            return Response({"detail": "The file is empty."}, status=400)
        job = import_job_create(file=upload, filename=upload.name, user=request.user)
        payload = import_job_payload(job=job)
        return Response(
            payload, status=202, headers={"Location": payload["status_url"]}
        )


@extend_schema(responses={200: ImportJobSerializer, 404: DetailSerializer})
class ImportJobDetailApi(APIView):
    """``GET /api/imports/<id>/`` and ``/api/products/upload/<id>/status/``."""

    def get(self, request, job_id: int):
        job = _job_or_404(job_id)
        if isinstance(job, Response):
            return job
        return Response(import_job_payload(job=job))


@extend_schema(responses=ImportJobSerializer(many=True))
class ImportJobListApi(APIView):
    """``GET /api/imports/``: import history, newest first, paginated."""

    pagination_class = PageNumberPagination

    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(import_job_list(), request, view=self)
        return paginator.get_paginated_response(
            [import_job_payload(job=job) for job in page]
        )


@extend_schema(
    responses={
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
        404: DetailSerializer,
    }
)
class ImportJobErrorsApi(APIView):
    """``GET /api/imports/<id>/errors.csv``: every rejected row."""

    def get(self, request, job_id: int):
        job = _job_or_404(job_id)
        if isinstance(job, Response):
            return job
        if not job.error_report:
            return Response({"detail": "This import rejected no rows."}, status=404)
        return FileResponse(
            default_storage.open(job.error_report.name, "rb"),
            as_attachment=True,
            filename=f"import-{job.pk}-errors.csv",
            content_type="text/csv; charset=utf-8",
        )


@extend_schema(
    request=None,
    responses={202: ImportJobSerializer, 404: DetailSerializer, 409: DetailSerializer},
)
class ImportJobRetryApi(APIView):
    """``POST /api/imports/<id>/retry/``: a new job over the same stored file."""

    def post(self, request, job_id: int):
        job = _job_or_404(job_id)
        if isinstance(job, Response):
            return job
        try:
            retry = import_job_retry(job=job, user=request.user)
        except ValueError as error:
            return Response({"detail": str(error)}, status=409)
        payload = import_job_payload(job=retry)
        return Response(
            payload, status=202, headers={"Location": payload["status_url"]}
        )


@extend_schema(
    request=None,
    responses={
        202: ImportJobSerializer,
        404: DetailSerializer,
        409: ImportJobSerializer,
    },
)
class ImportJobCancelApi(APIView):
    """``POST /api/imports/<id>/cancel/``: stops a pending or running import."""

    def post(self, request, job_id: int):
        job = _job_or_404(job_id)
        if isinstance(job, Response):
            return job
        if job.is_finished:
            return Response(
                {
                    "detail": "This import has already finished.",
                    **import_job_payload(job=job),
                },
                status=409,
            )
        job = import_job_cancel(job=job)
        return Response(import_job_payload(job=job), status=202)


# --- Server-Sent Events -------------------------------------------------------


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


async def _user_authenticate(request):
    user = await request.auser()
    if user.is_authenticated:
        return user
    try:
        result = await sync_to_async(TokenAuthentication().authenticate)(request)
    except AuthenticationFailed:
        return None
    return result[0] if result else None


def _job_payload_load(job_id: int) -> dict | None:
    job = import_job_get(job_id=job_id)
    return import_job_payload(job=job) if job else None


async def _events_stream(job_id: int, first: dict):
    """Progress of one job until it finishes: Redis pub/sub, with the job row
    as the fallback (Redis restarted, or lost messages)."""
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    yield f"retry: {SSE_RETRY_MS}\n\n"
    try:
        try:
            await pubsub.subscribe(progress_channel(job_id))
            latest = await client.get(progress_state_key(job_id))
            state = json.loads(latest) if latest else first
        except redis.RedisError:
            pubsub = None
            state = first
        if state.get("id") != job_id or (
            first["status"] in TERMINAL_STATUSES and state["status"] != first["status"]
        ):
            state = first
        yield _sse("progress", state)
        if state["status"] in TERMINAL_STATUSES:
            yield _sse("done", state)
            return
        last_sent = last_db_check = time.monotonic()
        while True:
            message = None
            if pubsub is not None:
                try:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=1.0
                    )
                except redis.RedisError:
                    pubsub = None
            else:
                await asyncio.sleep(1.0)
            now = time.monotonic()
            if message and message.get("type") == "message":
                state = json.loads(message["data"])
            elif now - last_db_check >= SSE_DATABASE_CHECK_SECONDS or pubsub is None:
                last_db_check = now
                from_db = await sync_to_async(_job_payload_load)(job_id)
                if from_db is None:
                    return
                if pubsub is not None and from_db["status"] not in TERMINAL_STATUSES:
                    if now - last_sent >= SSE_HEARTBEAT_SECONDS:
                        yield ": heartbeat\n\n"
                        last_sent = now
                    continue
                state = from_db
            else:
                if now - last_sent >= SSE_HEARTBEAT_SECONDS:
                    yield ": heartbeat\n\n"
                    last_sent = now
                continue
            yield _sse("progress", state)
            last_sent = now
            if state["status"] in TERMINAL_STATUSES:
                yield _sse("done", state)
                return
    finally:
        if pubsub is not None:
            try:
                await pubsub.unsubscribe()
                await pubsub.aclose()
            except redis.RedisError:
                pass
        await client.aclose()


async def import_job_events(request, job_id: int):
    """``GET /api/imports/<id>/events/``: ``text/event-stream`` of the job.

    Under ASGI the stream stays open until the job finishes. Under WSGI
    (tests' live server) one open response would hold a whole thread, so the
    stream sends the current state and ends; EventSource reconnects after
    ``retry`` ms, which degrades to polling.
    """
    user = await _user_authenticate(request)
    if user is None:
        return JsonResponse(
            {"detail": "Authentication credentials were not provided."}, status=401
        )
    first = await sync_to_async(_job_payload_load)(job_id)
    if first is None:
        return JsonResponse({"detail": "No such import."}, status=404)
    if isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(
            _events_stream(job_id, first), content_type="text/event-stream"
        )
    else:
        body = f"retry: {SSE_RETRY_MS}\n\n" + _sse("progress", first)
        if first["status"] in TERMINAL_STATUSES:
            body += _sse("done", first)
        response = HttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
