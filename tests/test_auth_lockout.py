"""Brute force: wrong passwords lock a client out of every password form, and tokens die with the password."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _login_page(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def _admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def _token(client, username, password):
    return client.post(
        "/api/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )


ENDPOINTS = {"login page": _login_page, "admin login": _admin_login, "token endpoint": _token}


def _message(response) -> str:
    """What the answer says: the JSON error, or the page's alert (the rest of a page differs by CSRF token)."""
    import re

    if response["Content-Type"].startswith("application/json"):
        return response.json()["error"]["message"]
    return re.search(r'role="alert">(.*?)<', response.content.decode(), re.S).group(1)


def _end_cool_off():
    """Age every recorded failure past the cool-off, as if the lockout time had passed."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(days=1))
    cache.clear()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_outsider_guessing_the_curators_password_is_locked_out_until_the_cool_off(people, endpoint):
    people.curator.is_staff = True  # the admin form refuses non-staff users even with the right password
    people.curator.save()
    post = ENDPOINTS[endpoint]
    client = Client()
    statuses = [post(client, "curator", f"guess-{n}").status_code for n in range(30)]
    assert 429 in statuses
    assert statuses[-1] == 429
    assert all(code in (200, 400, 429) for code in statuses), statuses
    # The right password is refused too while the lockout lasts (even once the token throttle's window is over).
    cache.clear()
    locked = post(client, "curator", RIGHT)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert locked["Retry-After"]
    _end_cool_off()
    after = post(client, "curator", RIGHT)
    assert after.status_code in (200, 302), after.content[:300]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_lockout_answer_does_not_tell_whether_the_username_exists(people, endpoint):
    post = ENDPOINTS[endpoint]
    answers = {}
    for username in ("curator", "nobody-by-this-name"):
        client = Client()
        for n in range(29):
            post(client, username, f"guess-{n}")
        cache.clear()  # past the token throttle's window: the answer is the lockout's own
        response = post(client, username, "guess-29")
        answers[username] = (response.status_code, _message(response))
    assert answers["curator"][0] == 429
    assert answers["curator"] == answers["nobody-by-this-name"]


def test_another_user_on_the_same_address_can_still_sign_in_during_a_lockout(people):
    client = Client()
    for n in range(30):
        _login_page(client, "curator", f"guess-{n}")
    assert _login_page(client, "curator", RIGHT).status_code == 429
    assert _login_page(Client(), "reviewer", RIGHT).status_code == 302


def test_the_token_endpoint_is_throttled_per_client_address(people):
    client = Client()
    # Different usernames each time: no single lockout applies, the throttle does.
    statuses = [_token(client, f"name-{n}", "x").status_code for n in range(30)]
    assert statuses[0] == 400
    assert statuses[-1] == 429
    body = _token(client, "curator", RIGHT)
    assert body.status_code == 429
    assert body.json()["error"]["code"] == "throttled"


def test_a_password_change_revokes_the_curators_api_token(people):
    token = _token(Client(), "curator", RIGHT).json()["token"]
    api = Client(headers={"Authorization": f"Token {token}"})
    assert api.get(f"/api/collections/{people.collection.pk}/").status_code == 200
    people.curator.set_password("a new long passphrase")
    people.curator.save()
    refused = api.get(f"/api/collections/{people.collection.pk}/")
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]["code"] == "authentication_failed"
    fresh = _token(Client(), "curator", "a new long passphrase").json()["token"]
    assert fresh != token


def test_saving_a_user_without_changing_the_password_keeps_the_token(people):
    token = _token(Client(), "curator", RIGHT).json()["token"]
    people.curator.first_name = "Kim"
    people.curator.save()
    api = Client(headers={"Authorization": f"Token {token}"})
    assert api.get(f"/api/collections/{people.collection.pk}/").status_code == 200
