"""`manage.py load_demo`: the public demo collection `make run` loads, built once from skimage.data."""

import hashlib
import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from PIL import Image

from accounts.models import Role
from archive.access import role_of
from archive.management.commands.load_demo import DEMO_PHOTOS, DEMO_TITLE, demo_png
from archive.models import Collection, DerivativeStatus, Photo, Visibility

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture
def load(django_capture_on_commit_callbacks):
    """Run the command like `make run` does (jobs after commit) and return what it printed."""

    def run():
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("load_demo", stdout=out)
        return out.getvalue()

    return run


def test_it_builds_a_public_collection_of_grayscale_photographs_with_demo_accounts(load, client):
    output = load()
    collection = Collection.objects.get(title=DEMO_TITLE)
    assert collection.visibility == Visibility.PUBLIC
    photos = list(collection.photos.order_by("id"))
    assert [p.identifier for p in photos] == [f"skimage.data.{d.name}" for d in DEMO_PHOTOS]
    assert len(photos) >= 5
    for photo in photos:
        assert (photo.format, photo.mode, photo.bit_depth) == ("PNG", "L", 8)
        assert photo.title and photo.creator and photo.rights and photo.source
        assert photo.derivatives_status == DerivativeStatus.READY, photo.derivatives_error
        with photo.original.open("rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == photo.sha256
        assert Image.open(io.BytesIO(data)).mode == "L"
    rocket = collection.photos.get(identifier="skimage.data.rocket")
    assert str(rocket.date_from) == "2015-02-11"
    assert list(rocket.situations.values_list("slug", flat=True)) == ["industry"]

    # Demo accounts, with passwords printed once that really sign in.
    passwords = dict(re.findall(r"username '(\w+)', password '([^']+)'", output))
    assert set(passwords) == {"archivist", "curator", "reviewer"}
    assert len(set(passwords.values())) == 3
    for username, password in passwords.items():
        assert authenticate(username=username, password=password) is not None
    assert collection.owner.username == "archivist"
    assert role_of(get_user_model().objects.get(username="curator"), collection) == Role.CURATOR
    assert role_of(get_user_model().objects.get(username="reviewer"), collection) == Role.REVIEWER

    # Anonymous visitors see it through the API.
    response = client.get("/api/collections/")
    assert response.status_code == 200
    assert DEMO_TITLE in response.content.decode()
    listing = client.get("/api/photos/", {"collection": collection.pk})
    assert listing.status_code == 200
    assert listing.json()["count"] == len(DEMO_PHOTOS)


def test_running_it_twice_creates_nothing_new(load):
    load()
    counts = (get_user_model().objects.count(), Collection.objects.count(), Photo.objects.count())
    curator_password = get_user_model().objects.get(username="curator").password
    second = load()
    assert (get_user_model().objects.count(), Collection.objects.count(), Photo.objects.count()) == counts
    assert "password" not in second  # printed only when an account is created
    assert "nothing to do" in second
    assert get_user_model().objects.get(username="curator").password == curator_password

    # A partly loaded demo (a photo deleted, a crash halfway) is completed, not duplicated.
    Photo.objects.filter(identifier="skimage.data.coffee").delete()
    assert "1 photo(s) added" in load()
    assert Photo.objects.filter(collection__title=DEMO_TITLE).count() == len(DEMO_PHOTOS)


def test_demo_images_are_deterministic_grayscale_pngs():
    first, second = demo_png("astronaut"), demo_png("astronaut")
    assert first == second  # same bytes, same SHA-256: what makes the demo idempotent across machines
    image = Image.open(io.BytesIO(first))
    assert (image.format, image.mode, image.size) == ("PNG", "L", (512, 512))


def test_a_newcomer_sees_korean_and_english_records_whose_titles_match_the_pictures(load, client):
    load()
    collection = Collection.objects.get(title=DEMO_TITLE)
    text = collection.photos.get(identifier="skimage.data.text")
    assert text.title.startswith("글자 이미지") and "역사 기록이 아니" in text.description
    # modern sample photographs: none is given a Korean period, a place or a date it does not have
    assert text.era is None and text.place == "" and text.date_from is None
    assert not collection.photos.filter(era__slug="japanese-occupation").exists()
    korean = client.get(
        "/api/photos/", {"collection": collection.pk, "q": "글자"}, headers={"accept-language": "ko"}
    )
    assert [p["identifier"] for p in korean.json()["results"]] == ["skimage.data.text"]
    client.cookies["django_language"] = "ko"
    page = client.get(f"/collections/{collection.pk}/").content.decode()
    assert "글자 이미지" in page and "Chelsea the cat" in page and "서울역" not in page


def test_the_readme_counts_and_names_every_demo_photo():
    from pathlib import Path

    readme = " ".join(
        (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split()
    )
    assert f"{len(DEMO_PHOTOS)} photos from `skimage.data`" in readme
    listed = readme.split("`skimage.data`:", 1)[1].split(")", 1)[0]
    assert sorted(name.strip() for name in listed.split(",")) == sorted(p.name for p in DEMO_PHOTOS)
