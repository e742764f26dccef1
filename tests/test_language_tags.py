"""Language tags that tell the truth: a Korean title is `ko` and an English description `en`, in the API, in IIIF
language maps, in W3C annotation bodies and in XMP `xml:lang` alternatives; hashes and identifiers are `none`."""

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from archive import languages
from colorize.services import review as review_services
from tests.factories import gray_image_bytes
from tests.test_run_support import add_hint, make_photo, run_now
from tests.test_upload import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

KOREAN_TITLE = "서울역 앞의 피란민"
ENGLISH_DESCRIPTION = "Refugees waiting in front of Seoul Station."
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def photo(people):
    return make_photo(
        people.collection,
        people.curator,
        title=KOREAN_TITLE,
        description=ENGLISH_DESCRIPTION,
        identifier="NA-1950-0042",
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("서울역", "ko"),
        ("서울역 Seoul Station (KTX)", "ko"),
        ("Seoul Station", "en"),
        ("Café crème", "en"),
        ("1950-12", "und"),
        ("東京駅", "und"),
        ("   ", ""),
    ],
)
def test_the_language_of_a_text_is_detected_by_its_script(text, expected):
    assert languages.detect(text) == expected


def test_a_curator_uploads_a_korean_title_and_an_english_description_and_the_api_records_both(
    people, client_for
):
    response = upload(
        client_for(people.curator),
        people.collection,
        gray_image_bytes(32, 24),
        title=KOREAN_TITLE,
        description=ENGLISH_DESCRIPTION,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    photo_id = data["id"] if "id" in data else data["photo"]["id"]
    photo = client_for(people.curator).get(f"/api/photos/{photo_id}/").json()
    assert (photo["title_lang"], photo["description_lang"]) == ("ko", "en")


def test_a_curator_chooses_a_language_and_a_changed_text_is_detected_again(people, photo, client_for):
    client = client_for(people.curator)
    response = client.patch(
        f"/api/photos/{photo.pk}/", {"description_lang": "en_gb"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["description_lang"] == "en-GB"
    response = client.patch(
        f"/api/photos/{photo.pk}/", {"description": "피란민의 행렬"}, content_type="application/json"
    )
    assert response.json()["description_lang"] == "ko" and response.json()["title_lang"] == "ko"


def test_a_malformed_language_tag_gets_a_clear_400(people, photo, client_for):
    response = client_for(people.curator).patch(
        f"/api/photos/{photo.pk}/", {"title_lang": "korean!"}, content_type="application/json"
    )
    assert response.status_code == 400 and "title_lang" in response.json()["error"]["fields"]
    photo.refresh_from_db()
    assert photo.title_lang == "ko"


def test_the_iiif_manifest_tags_each_value_with_its_own_language(people, photo, client_for):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    manifest = client_for(people.viewer).get(f"/iiif/photos/{photo.pk}/manifest.json").json()
    assert manifest["label"] == {"ko": [KOREAN_TITLE]}
    assert manifest["summary"] == {"en": [ENGLISH_DESCRIPTION]}
    values = {row["label"]["en"][0]: row["value"] for row in manifest["metadata"]}
    assert values["Title"] == {"ko": [KOREAN_TITLE]}
    assert values["Original SHA-256"] == {"none": [photo.sha256]}
    assert values["Identifier"] == {"none": ["NA-1950-0042"]}
    collection = client_for(people.viewer).get(f"/iiif/collections/{people.collection.pk}/collection.json")
    assert collection.json()["items"][0]["label"] == {"ko": [KOREAN_TITLE]}


def test_annotation_bodies_carry_the_language_of_each_note(people, photo, client_for):
    korean = add_hint(photo, people.curator, 0.2, 0.2, "#b22222", evidence_note="태극기의 빨강")
    english = add_hint(photo, people.curator, 0.8, 0.8, "#2040a0", evidence_note="navy coat, museum plate")
    response = client_for(people.curator).post(
        f"/api/photos/{photo.pk}/hints/",
        {"x": 0.5, "y": 0.5, "color": "#20a040", "evidence_note": "Grün", "evidence_note_lang": "de"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    chosen = response.json()["hint"]["id"] if "hint" in response.json() else response.json()["id"]
    page = client_for(people.viewer).get(f"/api/photos/{photo.pk}/annotations/").json()
    notes = {
        int(a["id"].rsplit("-", 1)[1]): next(b for b in a["body"] if b["purpose"] == "describing")
        for a in page["items"]
    }
    assert notes[korean.pk]["language"] == "ko" and notes[english.pk]["language"] == "en"
    assert notes[chosen]["language"] == "de"
    colour = next(b for b in page["items"][0]["body"] if b["purpose"] == "tagging")
    assert "language" not in colour


def test_xmp_has_xml_lang_alternatives_in_the_recorded_languages(people, photo, client_for):
    version = run_now(people.curator, photo).version
    response = client_for(people.curator).get(f"/api/versions/{version.pk}/export/?format=png")
    raw = Image.open(io.BytesIO(response.content)).info["XML:com.adobe.xmp"].encode()
    root = ET.fromstring(raw[raw.index(b"<x:xmpmeta") : raw.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")])

    def alternatives(tag):
        return {li.get(XML_LANG): li.text for li in root.find(f".//{DC}{tag}/{RDF}Alt")}

    titles = alternatives("title")
    assert titles["x-default"].startswith(KOREAN_TITLE) and titles["ko"].startswith(KOREAN_TITLE)
    assert set(titles) == {"x-default", "ko"}
    descriptions = alternatives("description")
    assert descriptions["en"].startswith(ENGLISH_DESCRIPTION) and "AI-colorized" in descriptions["en"]
    assert set(descriptions) == {"x-default", "en"}


def test_a_korean_description_and_the_english_account_are_separate_alternatives(people, client_for):
    photo = make_photo(people.collection, people.curator, seed=4, description="피란민의 행렬")
    version = run_now(people.curator, photo).version
    sidecar = client_for(people.curator).get(f"/api/versions/{version.pk}/sidecar/").json()
    assert sidecar["source"]["dublin_core"]["description_lang"] == "ko"
    response = client_for(people.curator).get(f"/api/versions/{version.pk}/export/?format=jpeg")
    xmp = Image.open(io.BytesIO(response.content)).getxmp()["xmpmeta"]["RDF"]["Description"]
    entries = {li["lang"]: li["text"] for li in xmp["description"]["Alt"]["li"]}
    assert entries["ko"] == "피란민의 행렬"
    assert "AI-colorized version 1" in entries["en"] and "피란민" not in entries["en"]


def test_eras_and_situations_appear_in_both_of_their_languages(people, photo, client_for):
    client_for(people.curator).patch(
        f"/api/photos/{photo.pk}/",
        {"era": "korean-war", "situations": ["protest"]},
        content_type="application/json",
    )
    manifest = client_for(people.viewer).get(f"/iiif/photos/{photo.pk}/manifest.json").json()
    values = {row["label"]["en"][0]: row["value"] for row in manifest["metadata"]}
    assert values["Era"] == {"en": ["Korean War"], "ko": ["한국전쟁"]}
    assert values["Situations"] == {"en": ["Protest"], "ko": ["시위"]}
    assert list(values)[-1] == "Original SHA-256"


def test_the_migrations_back_fill_the_language_of_existing_text(people, photo):
    from importlib import import_module

    from django.apps import apps

    from archive.models import Photo
    from colorize.models import Hint

    hint = add_hint(photo, people.curator, 0.5, 0.5, "#b22222", evidence_note="태극기")
    Photo.objects.filter(pk=photo.pk).update(title_lang="", description_lang="")
    Hint.objects.filter(pk=hint.pk).update(evidence_note_lang="")
    import_module("archive.migrations.0003_photo_text_languages").detect_languages(apps, None)
    import_module("colorize.migrations.0002_hint_note_language").detect_languages(apps, None)
    photo.refresh_from_db()
    hint.refresh_from_db()
    assert (photo.title_lang, photo.description_lang, hint.evidence_note_lang) == ("ko", "en", "ko")
