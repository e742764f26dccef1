"""Colour after repair: a run colours the photo's active repaired base and records it; an undo returns runs to the
original while earlier versions keep their base; exports (XMP, sidecar, C2PA definition) and IIIF say what was
invented (docs/repair.md, "Platform")."""

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from colorize.services import signing
from tests.test_repair_support import (
    REPAIRER_PATH,
    SCRATCH_ROW,
    mask_upload,
    scratched_photo,
    scratched_values,
)
from tests.test_run_support import run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

FC = "{https://findcolor.org/ns/provenance/1.0/}"


@pytest.fixture(autouse=True)
def _test_repairer(settings):
    settings.REPAIRER = REPAIRER_PATH


@pytest.fixture
def photo(people):
    return scratched_photo(people)


def _apply_scratch_repair(client, photo) -> dict:
    revision = client.post(
        f"/api/photos/{photo.pk}/repair/mask.png", {"mask": mask_upload(scratched_values()[1])}
    ).json()["revision"]
    response = client.post(
        f"/api/photos/{photo.pk}/repair/apply/", {"revision": revision}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _scratch_brightness(version) -> int:
    """The brightest grey level of the version's result along the scratch's rows (255 where it is kept)."""
    with version.result.open("rb") as handle, Image.open(handle) as image:
        gray = np.asarray(image.convert("L"))
    return int(gray[SCRATCH_ROW : SCRATCH_ROW + 2, 10:54].max())


def _xmp(client, version) -> ET.Element:
    response = client.get(f"/api/versions/{version.pk}/export/?format=png")
    assert response.status_code == 200, response.content
    with Image.open(io.BytesIO(response.content)) as image:
        raw = image.info["XML:com.adobe.xmp"].encode("utf-8")
    start, end = raw.index(b"<x:xmpmeta"), raw.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    return ET.fromstring(raw[start:end])


def test_a_run_after_apply_colours_the_repaired_base_and_records_it(people, photo, client_for):
    before = run_now(people.curator, photo)
    assert before.base is None
    assert _scratch_brightness(before.version) > 240  # coloured around the scratch: it is still there
    base = _apply_scratch_repair(client_for(people.curator), photo)
    after = run_now(people.curator, photo)
    assert after.base_id == base["id"]
    assert client_for(people.viewer).get(f"/api/runs/{after.pk}/").json()["base"] == base["id"]
    assert _scratch_brightness(after.version) < 215  # coloured on the repaired base: the scratch is gone
    assert (after.version.width, after.version.height) == (photo.width, photo.height)


def test_after_an_undo_runs_colour_the_original_and_earlier_versions_keep_their_base(
    people, photo, client_for
):
    curator = client_for(people.curator)
    base = _apply_scratch_repair(curator, photo)
    repaired = run_now(people.curator, photo)
    undo = curator.post(f"/api/photos/{photo.pk}/repair/undo/")
    assert undo.status_code == 200
    plain = run_now(people.curator, photo)
    assert plain.base is None and _scratch_brightness(plain.version) > 240
    repaired.refresh_from_db()
    assert repaired.base_id == base["id"] and _scratch_brightness(repaired.version) < 215


def test_the_export_of_a_version_on_a_repaired_base_names_the_repair_its_model_and_share(
    people, photo, client_for
):
    base = _apply_scratch_repair(client_for(people.curator), photo)
    version = run_now(people.curator, photo).version
    root = _xmp(client_for(people.curator), version)
    assert root.find(f".//{FC}RepairApplied").text == "True"
    assert root.find(f".//{FC}RepairStep").text == "damage repair before colorization"
    assert root.find(f".//{FC}RepairModelName").text == base["model"]["name"]
    assert root.find(f".//{FC}RepairModelVersion").text == base["model"]["version"]
    assert root.find(f".//{FC}RepairModelChecksum").text == base["model"]["checksum"]
    mask = scratched_values()[1]
    assert float(root.find(f".//{FC}RepairedPixelShare").text) == pytest.approx(
        mask.sum() / mask.size, abs=1e-6
    )
    assert root.find(f".//{FC}RepairMaskSHA256").text == base["mask_sha256"]
    sidecar = client_for(people.curator).get(f"/api/versions/{version.pk}/sidecar/").json()
    assert sidecar["repair"]["applied"] and sidecar["repair"]["mask_url"] == base["mask_url"]
    assert "invented, not original detail" in sidecar["account"]["text"]
    actions = signing.manifest_definition("x.png", "image/png", version, sidecar)["assertions"][0]["data"][
        "actions"
    ]
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.edited", "c2pa.color_adjustments"]
    assert actions[1]["softwareAgent"]["name"] == base["model"]["name"]


def test_the_export_of_a_version_on_the_original_says_no_repair(people, photo, client_for):
    version = run_now(people.curator, photo).version
    root = _xmp(client_for(people.curator), version)
    assert root.find(f".//{FC}RepairApplied").text == "False"
    assert root.find(f".//{FC}RepairModelName") is None
    sidecar = client_for(people.curator).get(f"/api/versions/{version.pk}/sidecar/").json()
    assert sidecar["repair"] == {"applied": False}
    actions = signing.manifest_definition("x.png", "image/png", version, sidecar)["assertions"][0]["data"][
        "actions"
    ]
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.color_adjustments"]


def test_the_photos_iiif_annotations_carry_the_mask_of_its_published_repaired_version(
    people, photo, client_for
):
    from colorize.services import review as review_services

    base = _apply_scratch_repair(client_for(people.curator), photo)
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version, {"comment": "ok"})
    client_for(people.curator).post(
        f"/api/photos/{photo.pk}/repair/undo/"
    )  # no longer active, still published
    page = client_for(people.viewer).get(f"/api/photos/{photo.pk}/annotations/").json()
    repairs = [a for a in page["items"] if "#repair-" in a["id"]]
    assert len(repairs) == 1
    text, image = repairs[0]["body"]
    assert base["model"]["name"] in text["value"] and "invented, not original detail" in text["value"]
    assert image["type"] == "Image" and image["id"].endswith(base["mask_url"])
    mask = client_for(people.viewer).get(base["mask_url"])
    with Image.open(io.BytesIO(mask.content)) as m:
        assert np.array_equal(np.asarray(m) == 255, scratched_values()[1])


def test_the_review_queue_shows_the_repair_mask_beside_a_restoration_made_on_a_repaired_base(
    people, photo, client_for
):
    from colorize.services import review as review_services

    base = _apply_scratch_repair(client_for(people.curator), photo)
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    page = client_for(people.reviewer).get("/review/").content.decode()
    assert f'src="{base["mask_url"]}"' in page and "invented by the repair model" in page
    korean = client_for(people.reviewer).get("/review/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "복원 마스크" in korean


def test_live_previews_read_the_active_repaired_base_and_the_original_again_after_an_undo(
    people, photo, client_for
):
    from colorize.services import model

    def scratch_in_preview_input() -> int:
        gray = model.load_gray(photo, 64)  # what live previews and colour suggestions read
        return int(gray[SCRATCH_ROW : SCRATCH_ROW + 2, 10:54].max())

    assert scratch_in_preview_input() == 255
    _apply_scratch_repair(client_for(people.curator), photo)
    assert scratch_in_preview_input() < 215
    client_for(people.curator).post(f"/api/photos/{photo.pk}/repair/undo/")
    assert scratch_in_preview_input() == 255


def test_a_signed_export_of_a_repaired_version_validates_and_its_manifest_names_the_repair(
    people, photo, client_for, settings, tmp_path
):
    c2pa = pytest.importorskip("c2pa")
    from tests.test_export_c2pa import make_test_chain

    settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY = make_test_chain(tmp_path)
    settings.C2PA_SIGN_ALG = "es256"
    base = _apply_scratch_repair(client_for(people.curator), photo)
    version = run_now(people.curator, photo).version
    response = client_for(people.curator).get(f"/api/versions/{version.pk}/export/?format=png")
    assert response.status_code == 200, response.content
    with c2pa.Reader("image/png", io.BytesIO(response.content)) as reader:
        results = reader.get_validation_results()["activeManifest"]
        assert [f["code"] for f in results.get("failure", [])] == ["signingCredential.untrusted"]
        manifest = reader.get_active_manifest()
    assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
    actions = assertions["c2pa.actions.v2"]["actions"]
    assert [a["action"] for a in actions][:3] == ["c2pa.opened", "c2pa.edited", "c2pa.color_adjustments"]
    assert actions[1]["softwareAgent"]["name"] == base["model"]["name"]
    assert "invented, not original detail" in actions[1]["description"]
    ours = assertions["org.findcolor.provenance"]
    assert ours["repair"]["applied"] and ours["repair"]["mask_sha256"] == base["mask_sha256"]
