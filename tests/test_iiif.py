"""IIIF Presentation 3 manifests (original + approved restoration as a Choice) and hints as Web Annotations."""

import pytest

from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.curator, title="Station", rights="CC BY 4.0")


def _painting_body(manifest):
    canvas = manifest["items"][0]
    assert canvas["type"] == "Canvas"
    page = canvas["items"][0]
    assert page["type"] == "AnnotationPage"
    annotation = page["items"][0]
    assert annotation["motivation"] == "painting" and annotation["target"] == canvas["id"]
    return annotation["body"]


def test_a_manifest_without_an_approval_paints_only_the_original(people, photo, client_for):
    run_now(people.curator, photo)  # a draft version is not published
    response = client_for(people.viewer).get(f"/iiif/photos/{photo.pk}/manifest.json")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["type"] == "Manifest" and manifest["id"].endswith(
        f"/iiif/photos/{photo.pk}/manifest.json"
    )
    assert manifest["label"] == {"en": ["Station"]}
    body = _painting_body(manifest)
    assert body["type"] == "Image" and body["id"].startswith("http://testserver/media/originals/")
    assert (body["width"], body["height"]) == (photo.width, photo.height)
    assert manifest["items"][0]["width"] == photo.width
    rows = {row["label"]["en"][0]: row for row in manifest["metadata"]}
    assert rows["Original SHA-256"]["value"] == {"none": [photo.sha256]}
    assert rows["Original SHA-256"]["label"]["ko"] == ["원본 SHA-256"]  # the platform's labels in Korean too


def test_an_approved_restoration_appears_as_a_choice_next_to_the_original(people, photo, client_for):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    manifest = client_for(people.viewer).get(f"/iiif/photos/{photo.pk}/manifest.json").json()
    body = _painting_body(manifest)
    assert body["type"] == "Choice"
    original, restored = body["items"]
    assert "Original" in original["label"]["en"][0]
    assert restored["id"].endswith(version.result.url) and restored["format"] == "image/png"
    assert (
        "AI-colorized" in restored["label"]["en"][0] and "approved by reviewer" in restored["label"]["en"][0]
    )
    assert manifest["requiredStatement"]["value"] == {"en": ["CC BY 4.0"]}


def test_the_collection_lists_a_manifest_per_photo(people, photo, client_for):
    second = make_photo(people.collection, people.curator, seed=3)
    response = client_for(people.viewer).get(f"/iiif/collections/{people.collection.pk}/collection.json")
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "Collection" and data["label"] == {"en": ["Liberation 1945"]}
    assert sorted(item["id"] for item in data["items"]) == sorted(
        f"http://testserver/iiif/photos/{p.pk}/manifest.json" for p in (photo, second)
    )
    assert all(item["type"] == "Manifest" for item in data["items"])


def test_hints_are_w3c_web_annotations(people, photo, client_for):
    point = add_hint(
        photo, people.curator, 0.5, 0.25, "#b22222", verified_by=people.reviewer, evidence_note="flag"
    )
    stroke = add_hint(
        photo,
        people.curator,
        0.1,
        0.1,
        "#20a040",
        shape="stroke",
        points=[[0.1, 0.1], [0.9, 0.2]],
        width=0.02,
    )
    page = client_for(people.viewer).get(f"/api/photos/{photo.pk}/annotations/").json()
    assert "http://www.w3.org/ns/anno.jsonld" in page["@context"] and page["type"] == "AnnotationPage"
    by_id = {a["id"].rsplit("-", 1)[1]: a for a in page["items"]}
    first = by_id[str(point.pk)]
    assert first["type"] == "Annotation" and first["motivation"] == "tagging"
    bodies = {b["purpose"]: b for b in first["body"]}
    assert bodies["tagging"]["value"] == "#b22222" and bodies["assessing"]["value"] == "verified"
    assert bodies["describing"]["value"] == "flag"
    selector = first["target"]["selector"]
    assert selector["type"] == "FragmentSelector" and selector["value"].startswith("xywh=")
    x, y, w, h = (int(v) for v in selector["value"][5:].split(","))
    assert abs(x + w / 2 - 0.5 * photo.width) <= 1 and abs(y + h / 2 - 0.25 * photo.height) <= 1
    line = by_id[str(stroke.pk)]["target"]["selector"]
    assert line["type"] == "SvgSelector" and "<polyline" in line["value"]


@pytest.mark.parametrize(
    "url",
    [
        "/iiif/photos/{photo}/manifest.json",
        "/iiif/collections/{collection}/collection.json",
        "/api/photos/{photo}/annotations/",
    ],
)
def test_outsiders_get_404_from_every_iiif_endpoint(people, photo, client_for, url):
    path = url.format(photo=photo.pk, collection=people.collection.pk)
    response = client_for(people.outsider).get(path)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client_for(people.viewer).get(path).status_code == 200


def test_a_public_collection_manifest_is_readable_without_signing_in(people, photo, client_for):
    people.collection.visibility = "public"
    people.collection.save()
    response = client_for(None).get(f"/iiif/photos/{photo.pk}/manifest.json")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
