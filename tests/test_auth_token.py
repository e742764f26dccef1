"""Token auth for scripts and session auth for the browser."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_token_is_issued_for_a_username_and_password(people, client):
    response = client.post(
        "/api/auth/token/",
        {"username": "curator", "password": "correct horse battery"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    again = client.post("/api/auth/token/", {"username": "curator", "password": "correct horse battery"})
    assert again.json()["token"] == token


def test_a_wrong_password_gets_no_token(people, client):
    response = client.post(
        "/api/auth/token/", {"username": "curator", "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "token" not in response.json()


def test_the_token_authenticates_api_calls(people):
    from django.test import Client

    token = Client().post("/api/auth/token/", {"username": "curator", "password": "correct horse battery"})
    client = Client(headers={"Authorization": f"Token {token.json()['token']}"})
    response = client.get(f"/api/collections/{people.collection.pk}/")
    assert response.status_code == 200
    assert response.json()["my_role"] == "curator"
    # Token calls need no CSRF token.
    response = client.patch("/api/photos/999/", {"title": "x"}, content_type="application/json")
    assert response.status_code == 404


def test_a_bad_token_is_refused(people):
    from django.test import Client

    client = Client(headers={"Authorization": "Token not-a-token"})
    response = client.get("/api/collections/")
    # 403, not 401: session auth comes first, and it sends no WWW-Authenticate challenge.
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "Invalid token.",
        "fields": {},
    }


def test_session_writes_need_the_csrf_token(people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner)
    response = client.patch(
        f"/api/collections/{people.collection.pk}/", {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
