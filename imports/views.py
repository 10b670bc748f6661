"""The Imports page: drop zone, live progress of the running import, history."""

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from imports.selectors import (
    import_job_get,
    import_job_list,
    import_job_payload,
    import_job_running_latest,
)

HISTORY_PAGE_SIZE = 20


def imports_page(request):
    history = Paginator(import_job_list(), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"history": history}
    if request.htmx:
        return render(request, "imports/_history.html", context)
    followed = None
    job_id = request.GET.get("job", "")
    if job_id.isdigit():
        followed = import_job_get(job_id=int(job_id))
    if followed is None:
        followed = import_job_running_latest()
    context.update(
        followed_job_json=(
            json.dumps(import_job_payload(job=followed)) if followed else ""
        ),
        max_upload_mb=settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024),
        max_upload_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
    )
    return render(request, "imports/imports.html", context)
