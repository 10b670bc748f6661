import pytest

from core import selectors


@pytest.mark.django_db
def test_healthz_answers_without_login_and_names_each_service(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == "ok"
    assert "workers" in body["celery"]


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_down(client, settings):
    # given: a Redis URL where nothing listens
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"] == "down"


@pytest.mark.django_db
def test_database_is_up_reports_a_broken_connection(monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    assert selectors.database_is_up() is False
