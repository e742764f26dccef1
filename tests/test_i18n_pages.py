"""Every page in Korean and English (Django test client): no English left on a Korean page apart from data and
proper names, the language switcher remembers the choice, and dates follow the reader's time zone."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.utils import timezone

from archive.services.ingest import do_ingest_photo, make_derivatives
from frontend.middleware import TimezoneMiddleware
from tests.factories import gray_image_bytes
from tests.i18n_check import english_leftovers, visible_text

pytestmark = pytest.mark.django_db

DATA = {"Liberation 1945", "Gate", "owner", "curator", "reviewer", "viewer", "photo-0.png", "Gwanghwamun"}


def korean(client):
    client.cookies["django_language"] = "ko"
    return client


def upload(user, collection, seed=0, **metadata):
    photo = do_ingest_photo(
        user, collection, ContentFile(gray_image_bytes(seed=seed)), f"photo-{seed}.png", metadata
    )
    make_derivatives(photo.pk)
    photo.refresh_from_db()
    return photo


def pages(people):
    photo = upload(people.curator, people.collection, title="Gate", place="Gwanghwamun", era="korean-war")
    return ["/", f"/collections/{people.collection.pk}/", f"/photos/{photo.pk}/", "/review/"]


def test_a_curator_reading_in_korean_finds_no_english_on_any_page(client_for, people):
    client = korean(client_for(people.curator))
    for url in pages(people):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="ko">' in html, url
        assert english_leftovers(visible_text(html), DATA) == [], url


def test_an_anonymous_visitor_reads_the_sign_in_page_in_korean_and_in_english(client):
    ko = korean(client).get("/login/").content.decode()
    assert english_leftovers(visible_text(ko), DATA) == []
    landing = client.get("/")
    assert landing.status_code == 200
    assert english_leftovers(visible_text(landing.content.decode()), DATA) == []
    assert "로그인" in ko and "비밀번호" in ko
    client.cookies["django_language"] = "en"
    en = client.get("/login/").content.decode()
    assert '<html lang="en">' in en and "Sign in" in en and "로그인" not in en


def test_a_browser_asking_for_korean_gets_korean_without_choosing(client):
    html = client.get("/login/", headers={"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}).content.decode()
    assert '<html lang="ko">' in html and "로그인" in html


def test_the_switcher_remembers_the_reviewers_choice_in_a_cookie(client_for, people):
    client = client_for(people.reviewer)
    assert '<html lang="en">' in client.get("/review/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/review/"})
    assert response.status_code == 302 and response.url == "/review/"
    assert response.cookies["django_language"].value == "ko"
    html = client.get("/review/").content.decode()
    assert '<html lang="ko">' in html and "검토 대기열" in html
    assert 'value="ko" lang="ko" aria-pressed="true"' in html


def test_an_unknown_language_is_refused_by_the_switcher_and_english_stays(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/login/"})
    assert '<html lang="en">' in client.get("/login/").content.decode()


def test_the_javascript_catalogue_serves_korean_strings(client):
    body = korean(client).get("/jsi18n/").content.decode()
    assert "django.gettext" in body or "gettext" in body
    assert "\\uc0ac\\uc9c4" in body or "사진" in body  # 사진 (photo) in some translated string


def test_pages_render_dates_in_the_time_zone_the_browser_reports():
    seen = []

    def view(request):
        seen.append(timezone.localtime(dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)).hour)
        return None

    middleware = TimezoneMiddleware(view)
    factory = RequestFactory()
    request = factory.get("/")
    request.COOKIES["tz"] = "Asia/Seoul"
    middleware(request)
    request = factory.get("/")
    request.COOKIES["tz"] = "Not/AZone"
    middleware(request)
    assert seen == [9, 0]  # Seoul is UTC+9; an unknown zone falls back to TIME_ZONE (UTC in tests)


def test_api_errors_answer_a_korean_client_in_korean(client, people, client_for):
    missing = client.get("/api/collections/999999/", headers={"accept-language": "ko"})
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "찾을 수 없습니다"
    empty = client_for(people.curator).post(
        f"/api/collections/{people.collection.pk}/photos/",
        {"file": ContentFile(b"", name="empty.png")},
        headers={"accept-language": "ko"},
    )
    assert empty.status_code == 400
    assert "비어" in empty.json()["error"]["message"], empty.json()
    english = client.get("/api/collections/999999/", headers={"accept-language": "en"})
    assert english.json()["error"]["message"] == "not found"


def test_every_choice_a_model_offers_reads_in_korean_for_a_korean_admin():
    """Choice labels are what the admin and the schema show for a status, a review decision or a hint's shape:
    each one has its Korean label (an English label written in place would come back unchanged). A membership's
    role is the one exception: `Role.label` is the role's name on the wire (API, audit log), and pages name roles
    in the reader's language through the `role_name` filter instead."""
    import re

    from django.apps import apps
    from django.utils import translation

    hangul = re.compile("[\uac00-\ud7a3]")
    untranslated = []
    for app in ("accounts", "archive", "colorize"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if (model.__name__, field.name) == ("Membership", "role"):
                    continue
                for value, label in getattr(field, "flatchoices", None) or []:
                    with translation.override("ko"):
                        if not hangul.search(str(label)):
                            untranslated.append(f"{model.__name__}.{field.name}={value}: {label}")
    assert untranslated == [], "\n".join(untranslated)
