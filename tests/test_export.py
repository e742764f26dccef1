"""Honest export: XMP read back with independent readers (Pillow's getxmp() and a plain XML parse)."""

import hashlib
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
IPTC = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
FC = "{https://findcolor.org/ns/provenance/1.0/}"
# IPTC's digital source type for "a composite including trained algorithmic media" (a colorized photograph)
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


@pytest.fixture
def approved(people):
    photo = make_photo(
        people.collection,
        people.curator,
        title="Crowd at the station",
        description="People waiting for the returning soldiers.",
        creator="Kim Photographer",
        date_display="c. 1950",
        date_from="1950",
        date_to="1950",
        place="Seoul",
        source="National Archive",
        rights="CC BY 4.0",
        identifier="NA-1950-0042",
    )
    add_hint(photo, people.curator, 0.8, 0.8, "#6080c0", verified_by=people.reviewer, evidence_note="coat")
    add_hint(photo, people.curator, 0.2, 0.2, "#20a040")
    version = run_now(people.curator, photo, {"hints": "all"}).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version, {"comment": "ok"})
    return version


def _xmp_root(raw) -> ET.Element:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    start, end = raw.index(b"<x:xmpmeta"), raw.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    return ET.fromstring(raw[start:end])


def _raw_xmp(image: Image.Image):
    if image.format == "TIFF":
        return image.tag_v2[700]
    if image.format == "PNG":
        return image.info["XML:com.adobe.xmp"]
    return image.info["xmp"]


def _text(root, tag):
    """The element's text; for a language alternative (rdf:Alt), its x-default entry."""
    element = root.find(f".//{tag}")
    if element is None:
        return None
    default = element.find(f"{RDF}Alt/{RDF}li[@{{http://www.w3.org/XML/1998/namespace}}lang='x-default']")
    return "".join((default if default is not None else element).itertext()).strip()


@pytest.mark.parametrize("fmt, pil_format", [("jpeg", "JPEG"), ("png", "PNG"), ("tiff", "TIFF")])
def test_every_export_format_carries_xmp_that_says_it_is_ai_colorized(
    people, approved, client_for, fmt, pil_format
):
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format={fmt}")
    assert response.status_code == 200, response.content
    assert "ai-colorized" in response["Content-Disposition"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == pil_format and image.size == (approved.width, approved.height)

    # Reader 1: Pillow's own XMP parser (defusedxml).
    xmp = image.getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["DigitalSourceType"] == DIGITAL_SOURCE_TYPE
    assert xmp["ModelName"] == approved.model_name and xmp["ModelVersion"] == approved.model_version
    assert xmp["HintCount"] == "2" and xmp["VerifiedHintCount"] == "1"
    assert xmp["SourceSHA256"] == approved.photo.sha256
    assert xmp["ApprovedBy"] == "reviewer" and xmp["Approved"] == "True"

    # Reader 2: a plain XML parse of the raw packet.
    root = _xmp_root(_raw_xmp(image))
    assert _text(root, f"{IPTC}DigitalSourceType") == DIGITAL_SOURCE_TYPE
    description = _text(root, f"{DC}description")
    assert "AI-colorized" in description and approved.model_name in description
    assert "2 colour hint(s), 1 of them verified (verified by reviewer)" in description
    assert approved.photo.sha256 in description and "NA-1950-0042" in description
    assert "Approved for publication by reviewer" in description
    assert "People waiting for the returning soldiers." in description
    assert _text(root, f"{DC}creator") == "Kim Photographer"
    assert _text(root, f"{DC}identifier") == "NA-1950-0042"
    assert _text(root, f"{DC}coverage") == "Seoul"
    assert _text(root, f"{DC}rights") == "CC BY 4.0"
    assert _text(root, f"{DC}date") == "1950" and _text(root, f"{FC}DateDisplay") == "c. 1950"
    assert "Crowd at the station" in _text(root, f"{DC}title")
    assert _text(root, f"{FC}VerifiedBy") == "reviewer"
    assert "#6080c0" in _text(root, f"{FC}VerifiedHints")


def test_the_lossless_export_is_the_version_pixel_for_pixel(people, approved, client_for):
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=png")
    exported = np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))
    with approved.result.open("rb") as handle:
        stored = np.asarray(Image.open(handle).convert("RGB"))
    assert np.array_equal(exported, stored)


def test_the_mark_option_adds_a_visible_label_and_changes_only_a_corner(people, client_for):
    approved = run_now(
        people.curator, make_photo(people.collection, people.curator, 320, 240, seed=3)
    ).version
    client = client_for(people.viewer)
    plain = np.asarray(
        Image.open(io.BytesIO(client.get(f"/api/versions/{approved.pk}/export/?format=png").content))
    )
    marked_response = client.get(f"/api/versions/{approved.pk}/export/?format=png&mark=1")
    marked = np.asarray(Image.open(io.BytesIO(marked_response.content)).convert("RGB"))
    changed = np.argwhere((plain != marked).any(axis=2))
    assert len(changed) > 0
    H, W = plain.shape[:2]
    assert changed[:, 0].min() > H / 2 and changed[:, 1].min() > W / 3  # bottom-right only
    assert Image.open(io.BytesIO(marked_response.content)).getxmp()  # still labelled in metadata


def test_the_json_sidecar_has_the_same_provenance(people, approved, client_for):
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    prov = json.loads(response.content)
    assert prov["ai_generated"] is True and prov["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert prov["model"] == {
        "name": approved.model_name,
        "version": approved.model_version,
        "checksum": approved.model_checksum,
    }
    assert prov["hints"]["count"] == 2 and prov["hints"]["verified_by"] == ["reviewer"]
    assert {h["color"] for h in prov["hints"]["items"]} == {"#6080c0", "#20a040"}
    assert prov["source"]["sha256"] == approved.photo.sha256 and prov["source"]["sha256_verified_at_export"]
    assert prov["source"]["dublin_core"]["creator"] == "Kim Photographer"
    assert prov["review"]["approved_by"] == "reviewer" and prov["review"]["published"] is True
    assert prov["export"]["c2pa"]["embedded"] is False and prov["export"]["c2pa"]["reason"]
    sidecar = client_for(people.viewer).get(f"/api/versions/{approved.pk}/sidecar/").json()
    assert sidecar["description"] == prov["description"]


def test_an_unapproved_export_says_it_is_not_approved(people, approved, client_for):
    draft = run_now(people.curator, approved.photo).version
    response = client_for(people.curator).get(f"/api/versions/{draft.pk}/export/?format=jpeg")
    xmp = Image.open(io.BytesIO(response.content)).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["Approved"] == "False" and xmp["ReviewState"] == "draft"
    entries = {li["lang"]: li["text"] for li in xmp["description"]["Alt"]["li"]}
    assert "Not approved" in entries["x-default"] and "Not approved" in entries["en"]


def test_the_original_is_byte_for_byte_unchanged_after_runs_reviews_and_exports(people, approved, client_for):
    client = client_for(people.viewer)
    for fmt in ("jpeg", "png", "tiff", "json"):
        assert client.get(f"/api/versions/{approved.pk}/export/?format={fmt}&mark=1").status_code == 200
    photo = approved.photo
    photo.refresh_from_db()
    with photo.original.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == photo.sha256


def test_an_original_whose_bytes_changed_is_refused_rather_than_exported_with_a_false_hash(
    people, approved, client_for
):
    with open(approved.photo.original.path, "ab") as handle:
        handle.write(b"tampered")
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=jpeg")
    assert response.status_code == 409 and response.json()["error"]["code"] == "original_changed"


def test_a_bad_format_gets_a_clear_error(people, approved, client_for):
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=bmp")
    assert response.status_code == 400 and "format" in response.json()["error"]["fields"]


def test_outsiders_cannot_export(people, approved, client_for):
    assert client_for(people.outsider).get(f"/api/versions/{approved.pk}/export/").status_code == 404


def test_a_jpeg_of_a_photo_with_very_many_verified_hints_still_carries_its_xmp(
    people, client_for, monkeypatch
):
    """JPEG holds at most 64 KB of XMP (Pillow refuses more): the list of verified hints is shortened to fit.
    The limit is lowered here so that 120 hints overflow it, as ~1100 would overflow the real one."""
    from colorize.services import export

    monkeypatch.setattr(export, "JPEG_XMP_MAX", 6000)
    photo = make_photo(people.collection, people.curator, seed=7)
    for i in range(120):
        add_hint(photo, people.curator, (i % 12) / 12, (i // 12) / 12, "#6080c0", verified_by=people.reviewer)
    version = run_now(people.curator, photo).version
    response = client_for(people.viewer).get(f"/api/versions/{version.pk}/export/?format=jpeg")
    assert response.status_code == 200
    xmp = Image.open(io.BytesIO(response.content)).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["VerifiedHintCount"] == "120" and int(xmp["VerifiedHintsNotListed"]) > 0
    assert len(Image.open(io.BytesIO(response.content)).info["xmp"]) <= 6000
    assert xmp["DigitalSourceType"] == DIGITAL_SOURCE_TYPE
    sidecar = client_for(people.viewer).get(f"/api/versions/{version.pk}/sidecar/").json()
    assert len(sidecar["hints"]["items"]) == 120
