"""Publishing that is explicit: drafts are marked as drafts, moving "published" needs a confirmation and records
who and why, and exports carry the evidence behind each verified hint, who rendered and who approved."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from colorize.models import Review
from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture
def photo(people):
    photo = make_photo(people.collection, people.curator, 160, 120, title="Station")
    add_hint(
        photo,
        people.curator,
        0.3,
        0.4,
        "#6080c0",
        verified_by=people.reviewer,
        evidence_note="외투는 남색 (군복 도감)",
        evidence_source="Uniform plates, War Memorial of Korea, p. 12",
        evidence_url="https://example.org/plates/12",
    )
    add_hint(photo, people.curator, 0.7, 0.7, "#20a040", evidence_note="a guess")
    return photo


def _approve(client, version, **body):
    return client.post(f"/api/versions/{version.pk}/approve/", body, content_type="application/json")


def _published(photo):
    return review_services.published_version(photo)


def _pixels(content):
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB")).astype(int)


def _stored(version):
    with version.result.open("rb") as handle:
        return np.asarray(Image.open(handle).convert("RGB")).astype(int)


def test_a_draft_export_is_named_marked_and_described_as_a_draft(people, photo, client_for):
    draft = run_now(people.curator, photo).version
    client = client_for(people.curator)
    response = client.get(f"/api/versions/{draft.pk}/export/?format=png")
    assert response.status_code == 200
    assert f'filename="photo{photo.pk}-v1-DRAFT-ai-colorized.png"' in response["Content-Disposition"]
    changed = np.argwhere((_pixels(response.content) != _stored(draft)).any(axis=2))
    H, W = draft.height, draft.width
    assert len(changed) > 0 and changed[:, 0].max() < H / 2 and changed[:, 1].max() < W  # a band at the top
    xmp = Image.open(io.BytesIO(response.content)).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["Draft"] == "True" and xmp["Published"] == "False"
    sidecar = client.get(f"/api/versions/{draft.pk}/export/?format=json")
    assert "-DRAFT-provenance.json" in sidecar["Content-Disposition"]
    prov = json.loads(sidecar.content)
    assert prov["export"]["draft"] is True and prov["description"].startswith("DRAFT")


def _fontconfig_without_fonts(tmp_path):
    (tmp_path / "fonts").mkdir(exist_ok=True)
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f"<?xml version='1.0'?><fontconfig><dir>{tmp_path / 'fonts'}</dir>"
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    return conf


def test_a_draft_band_says_draft_in_english_and_korean_when_the_export_font_has_hangul(
    people, client_for, settings, tmp_path, monkeypatch
):

    from PIL import ImageFont

    from colorize.services.export import hangul_font_file

    if not hangul_font_file():
        pytest.skip("fontconfig knows no font with Hangul: apt-get install fonts-nanum")
    font = ImageFont.truetype(hangul_font_file(), 24)
    assert font.getmask("초안").getbbox() is not None
    assert bytes(font.getmask("초")) != bytes(
        font.getmask("\uffff")
    )  # a real glyph, not the missing-glyph box
    wide = make_photo(people.collection, people.curator, 900, 240, seed=7, title="Wide")
    draft = run_now(people.curator, wide).version
    client = client_for(people.curator)

    def band_columns():
        response = client.get(f"/api/versions/{draft.pk}/export/?format=png")
        changed = np.argwhere((_pixels(response.content) != _stored(draft)).any(axis=2))
        return changed[:, 1].max() - changed[:, 1].min() + 1

    both = band_columns()
    monkeypatch.setenv("FONTCONFIG_FILE", str(_fontconfig_without_fonts(tmp_path)))
    hangul_font_file.cache_clear()  # a server with no Hangul font: English only
    settings.EXPORT_FONT = str(tmp_path / "no-such-font.ttf")
    try:
        english = band_columns()
    finally:
        hangul_font_file.cache_clear()
    assert both > 1.4 * english  # " · 초안 - 게시 전" written after "DRAFT - not published"


def test_the_published_export_has_no_draft_mark(people, photo, client_for):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version, {"comment": "ok"})
    response = client_for(people.viewer).get(f"/api/versions/{version.pk}/export/?format=png")
    assert "DRAFT" not in response["Content-Disposition"]
    assert np.array_equal(_pixels(response.content), _stored(version))
    xmp = Image.open(io.BytesIO(response.content)).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["Draft"] == "False" and xmp["Published"] == "True"


def test_a_reviewer_who_approves_an_older_version_must_confirm_and_say_why(people, photo, client_for):
    older = run_now(people.curator, photo).version
    newer = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, newer)
    review_services.do_approve(people.reviewer, newer, {"comment": "good"})
    review_services.do_submit(people.curator, older)
    reviewer = client_for(people.reviewer)

    refused = _approve(reviewer, older, comment="the flag colours are right here")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "confirm_replace"
    assert "version 2" in refused.json()["error"]["message"]
    assert _published(photo) == newer and older.review_state == "submitted"

    no_reason = _approve(reviewer, older, confirm_replace=True)
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    assert _published(photo) == newer

    done = _approve(reviewer, older, confirm_replace=True, reason="v2 turned the flag orange")
    assert done.status_code == 201, done.content
    assert _published(photo) == older
    review = done.json()["review"]
    assert review["replaced_version"] == newer.pk and review["replace_reason"] == "v2 turned the flag orange"
    assert review["by"] == "reviewer"
    audit = Review.objects.get(pk=review["id"])
    assert (audit.reviewer, audit.replaced_version, audit.replace_reason) == (
        people.reviewer,
        newer,
        "v2 turned the flag orange",
    )
    history = client_for(people.viewer).get(f"/api/versions/{older.pk}/reviews/").json()["results"]
    assert history[-1]["replaced_version"] == newer.pk


def test_the_first_approval_of_a_photo_needs_no_confirmation(people, photo, client_for):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    response = _approve(client_for(people.reviewer), version)
    assert response.status_code == 201 and response.json()["review"]["replaced_version"] is None


@pytest.mark.parametrize("body", [{"confirm_replace": "maybe"}, {"confirm_replace": 3}, {"reason": 5}])
def test_malformed_confirmation_fields_get_a_clear_400(people, photo, client_for, body):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    response = _approve(client_for(people.reviewer), version, **body)
    if (
        body.get("confirm_replace") == "maybe"
    ):  # a form string that is not true means false: nothing to confirm
        assert response.status_code == 201
    else:
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_a_non_object_body_gets_a_400_not_a_500(people, photo, client_for):
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    response = client_for(people.reviewer).post(
        f"/api/versions/{version.pk}/approve/", "[1, 2]", content_type="application/json"
    )
    assert response.status_code == 400


def test_exports_carry_each_verified_hints_evidence_who_rendered_and_who_approved(people, photo, client_for):
    version = run_now(people.curator, photo, {"hints": "all"}).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version, {"comment": "Matches the uniform plate."})
    client = client_for(people.viewer)

    prov = client.get(f"/api/versions/{version.pk}/sidecar/").json()
    (evidence,) = prov["hints"]["verified"]
    assert evidence["note"] == "외투는 남색 (군복 도감)" and evidence["note_lang"] == "ko"
    assert evidence["source"] == "Uniform plates, War Memorial of Korea, p. 12"
    assert evidence["url"] == "https://example.org/plates/12" and evidence["verified_by"] == "reviewer"
    assert prov["version"]["rendered_by"] == "curator"
    assert prov["review"]["approval_comment"] == "Matches the uniform plate."
    assert (
        "Rendered by curator" in prov["description"] and "Matches the uniform plate." in prov["description"]
    )

    for fmt in ("jpeg", "png", "tiff"):
        content = client.get(f"/api/versions/{version.pk}/export/?format={fmt}").content
        xmp = Image.open(io.BytesIO(content)).getxmp()["xmpmeta"]["RDF"]["Description"]
        assert xmp["RenderedBy"] == "curator" and xmp["ApprovedBy"] == "reviewer"
        comments = xmp["ApprovalComment"]["Alt"]["li"]
        assert {c["lang"]: c["text"] for c in comments}["en"] == "Matches the uniform plate."
        item = xmp["HintEvidence"]["Seq"]["li"]
        assert item["Color"] == "#6080c0" and item["VerifiedBy"] == "reviewer"
        assert item["Source"] == "Uniform plates, War Memorial of Korea, p. 12"
        assert item["URL"] == "https://example.org/plates/12"
        notes = {n["lang"]: n["text"] for n in item["Note"]["Alt"]["li"]}
        assert notes["ko"] == "외투는 남색 (군복 도감)"

    manifest = client.get(f"/iiif/photos/{photo.pk}/manifest.json").json()
    rows = {row["label"]["en"][0]: row["value"] for row in manifest["metadata"]}
    assert rows["Rendered by"] == {"none": ["curator"]} and rows["Approved by"] == {"none": ["reviewer"]}
    assert rows["Reviewer's comment"] == {"en": ["Matches the uniform plate."]}
    (see_also,) = manifest["seeAlso"]
    assert see_also["id"].endswith(f"/api/versions/{version.pk}/sidecar/")
    assert client.get(see_also["id"]).json()["hints"]["verified"][0]["url"] == "https://example.org/plates/12"


def test_an_export_of_a_version_that_replaced_another_says_which_and_why(people, photo, client_for):
    first = run_now(people.curator, photo).version
    second = run_now(people.curator, photo).version
    for version in (first, second):
        review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, first)
    review_services.do_approve(people.reviewer, second, {"confirm_replace": True, "reason": "bluer sky"})
    xmp = Image.open(
        io.BytesIO(client_for(people.viewer).get(f"/api/versions/{second.pk}/export/?format=jpeg").content)
    ).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["ReplacedVersion"] == "1" and xmp["ReplaceReason"] == "bluer sky"
    # the replaced version is no longer published: its export is a draft again
    response = client_for(people.curator).get(f"/api/versions/{first.pk}/export/?format=jpeg")
    assert "-DRAFT-" in response["Content-Disposition"]


def test_a_korean_reviewer_is_asked_in_korean(people, photo, client_for):
    first = run_now(people.curator, photo).version
    second = run_now(people.curator, photo).version
    for version in (first, second):
        review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, second)
    response = client_for(people.reviewer).post(
        f"/api/versions/{first.pk}/approve/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "confirm_replace"
    assert "2번 버전이 이 사진의 게시된 복원입니다" in response.json()["error"]["message"]
    manifest = client_for(people.viewer).get(f"/iiif/photos/{photo.pk}/manifest.json").json()
    labels = [row["label"] for row in manifest["metadata"]]
    assert {"en": ["Rendered by"], "ko": ["렌더링한 사람"]} in labels
