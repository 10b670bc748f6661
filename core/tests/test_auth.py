import pytest
from rest_framework.authtoken.models import Token


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/account/token/"])
def test_ui_pages_redirect_anonymous_visitors_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_login_page_is_public(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert b"Log in" in response.content


@pytest.mark.django_db
def test_anonymous_api_call_gets_json_401_not_a_redirect(client):
    response = client.get("/api/products/")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.django_db
def test_token_endpoint_exchanges_credentials_for_a_working_token(client, user):
    # when
    response = client.post(
        "/api/auth/token/",
        {"username": "catalog-manager", "password": "correct horse battery"},
        content_type="application/json",
    )

    # then
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token
    listed = client.get("/api/products/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listed.status_code == 200
    assert listed.json()["count"] == 0


@pytest.mark.django_db
def test_token_endpoint_rejects_wrong_password(client, user):
    response = client.post(
        "/api/auth/token/",
        {"username": "catalog-manager", "password": "wrong"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.django_db
def test_session_authenticated_api_post_without_csrf_token_is_refused(user):
    from django.test import Client

    browser_like = Client(enforce_csrf_checks=True)
    browser_like.force_login(user)

    listed = browser_like.get("/api/products/")
    response = browser_like.post(
        "/api/auth/token/", {}, content_type="application/json"
    )

    assert listed.status_code == 200
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_account_token_page_shows_and_replaces_the_token(client, user):
    client.force_login(user)

    first = client.get("/account/token/")
    old_key = Token.objects.get(user=user).key
    client.post("/account/token/")

    assert old_key in first.content.decode()
    assert Token.objects.get(user=user).key != old_key


@pytest.mark.django_db
def test_openapi_schema_and_docs_need_login(client, user):
    assert client.get("/api/schema/").status_code == 401
    client.force_login(user)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
