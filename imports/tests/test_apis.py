"""The import API over Django's test client, with Celery eager."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import Product
from imports.models import ImportJob

UPLOAD_URL = "/api/products/upload/"
CSV = b"sku,name,description\nA-1,Kettle,Hot\n,No sku,x\nA-2,Cup,Small\n"


@pytest.fixture
def upload(api_client, django_capture_on_commit_callbacks):
    def send(content: bytes = CSV, name: str = "products.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(
                UPLOAD_URL,
                {"file": SimpleUploadedFile(name, content, "text/csv")},
                format="multipart",
            )

    return send


def test_upload_answers_202_with_job_and_location_and_the_job_runs(upload, api_client):
    response = upload()

    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == f"/api/products/upload/{body['id']}/status/"
    assert body["status_url"] == response["Location"]
    assert body["events_url"] == f"/api/imports/{body['id']}/events/"
    assert body["filename"] == "products.csv"
    status = api_client.get(response["Location"]).json()
    assert status["status"] == "completed"
    assert status["created_count"] == 2
    assert status["invalid_count"] == 1
    assert status["errors_url"] == f"/api/imports/{body['id']}/errors.csv"
    assert set(Product.objects.values_list("sku", flat=True)) == {"A-1", "A-2"}


def test_job_object_has_every_documented_field(upload, api_client):
    job_id = upload().json()["id"]

    body = api_client.get(f"/api/imports/{job_id}/").json()

    for field in [
        "id",
        "status",
        "phase",
        "message",
        "progress",
        "total_records",
        "processed_records",
        "created_count",
        "updated_count",
        "unchanged_count",
        "invalid_count",
        "error_message",
        "warnings",
        "filename",
        "created_at",
        "started_at",
        "finished_at",
        "status_url",
        "events_url",
        "errors_url",
    ]:
        assert field in body, field
    assert body["progress"] == 100
    assert body["total_records"] == 3


def test_upload_without_file_is_400(api_client):
    response = api_client.post(UPLOAD_URL, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["detail"]


def test_upload_of_empty_file_is_400(upload):
    response = upload(b"")
    assert response.status_code == 400
    assert response.json()["detail"] == "The file is empty."
    assert not ImportJob.objects.exists()


def test_upload_beyond_the_size_limit_is_413(upload, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000

    response = upload(b"sku\n" + b"A-1\n" * 400)

    assert response.status_code == 413
    assert not ImportJob.objects.exists()


def test_upload_with_content_length_beyond_the_limit_is_413_before_reading(
    api_client, settings
):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    response = api_client.generic(
        "POST",
        UPLOAD_URL,
        data=b"x" * 200_000,
        content_type="multipart/form-data; boundary=zzz",
    )
    assert response.status_code == 413


def test_upload_requires_authentication():
    response = APIClient().post(
        UPLOAD_URL, {"file": SimpleUploadedFile("p.csv", CSV)}, format="multipart"
    )
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")


def test_upload_with_token_authentication(user, django_capture_on_commit_callbacks):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user)}")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            UPLOAD_URL, {"file": SimpleUploadedFile("p.csv", CSV)}, format="multipart"
        )
    assert response.status_code == 202


def test_session_upload_needs_csrf_token(client, user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(UPLOAD_URL, {"file": SimpleUploadedFile("p.csv", CSV)})
    assert response.status_code == 403


def test_failed_import_shows_the_reason(upload, api_client):
    job_id = upload(b"code,title\n1,x\n").json()["id"]

    body = api_client.get(f"/api/imports/{job_id}/").json()

    assert body["status"] == "failed"
    assert "no \u201csku\u201d column" in body["error_message"]
    assert body["errors_url"] is None


def test_history_lists_newest_first_and_paginates(upload, api_client):
    first = upload().json()["id"]
    second = upload(b"sku\nB-1\n", name="second.csv").json()["id"]

    body = api_client.get("/api/imports/").json()

    assert body["count"] == 2
    assert [job["id"] for job in body["results"]] == [second, first]
    assert body["results"][0]["created_by"] == "catalog-manager"


def test_error_report_download_lists_rejected_rows(upload, api_client):
    job_id = upload().json()["id"]

    response = api_client.get(f"/api/imports/{job_id}/errors.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == "line,column,reason,sku,name,description"
    assert text.splitlines()[1] == "3,sku,SKU is empty,,No sku,x"


def test_error_report_of_a_clean_import_is_404(upload, api_client):
    job_id = upload(b"sku\nA-1\n").json()["id"]
    assert api_client.get(f"/api/imports/{job_id}/errors.csv").status_code == 404


def test_retry_of_failed_import_is_202_with_a_new_job(upload, api_client):
    job_id = upload(b"code\n1\n").json()["id"]

    response = api_client.post(f"/api/imports/{job_id}/retry/")

    assert response.status_code == 202
    assert response.json()["id"] != job_id
    assert response["Location"] == response.json()["status_url"]


def test_retry_of_completed_import_is_409(upload, api_client):
    job_id = upload().json()["id"]
    assert api_client.post(f"/api/imports/{job_id}/retry/").status_code == 409


def test_cancel_of_pending_import(api_client):
    response = api_client.post(
        UPLOAD_URL, {"file": SimpleUploadedFile("p.csv", CSV)}, format="multipart"
    )  # on_commit never runs inside the test transaction: the job stays pending
    job_id = response.json()["id"]

    cancelled = api_client.post(f"/api/imports/{job_id}/cancel/")

    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert api_client.post(f"/api/imports/{job_id}/cancel/").status_code == 409


def test_unknown_job_is_404_json(api_client):
    response = api_client.get("/api/imports/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such import."


def test_events_under_wsgi_send_current_state_and_done(upload, client, user):
    job_id = upload().json()["id"]
    client.force_login(user)

    response = client.get(f"/api/imports/{job_id}/events/")

    assert response["Content-Type"] == "text/event-stream"
    text = response.content.decode()
    assert text.startswith("retry: ")
    events = [block for block in text.split("\n\n") if block.startswith("event:")]
    assert events[0].startswith("event: progress\ndata: ")
    assert json.loads(events[0].split("data: ", 1)[1])["status"] == "completed"
    assert events[1].startswith("event: done\n")


def test_events_require_authentication(upload, client):
    job_id = upload().json()["id"]
    response = client.get(f"/api/imports/{job_id}/events/")
    assert response.status_code == 401


def test_imports_page_renders_drop_zone_and_history(upload, client, user):
    upload()
    client.force_login(user)

    response = client.get("/imports/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Drop a CSV file here" in html
    assert "products.csv" in html
    assert 'aria-current="page"' in html


def test_imports_page_requires_login(client):
    response = client.get("/imports/")
    assert response.status_code == 302
