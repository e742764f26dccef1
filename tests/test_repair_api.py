"""Repair before colour through the REST API (docs/repair.md, "Platform"): find damage as a job, mask strokes
and their undo, uploads, preview, apply, undo, permissions by persona, and every bad input (a clear 4xx and
nothing half-stored)."""

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from archive.models import DerivativeStatus, Photo
from colorize.models import DamageScan, RepairedBase, RepairMask, RepairStroke, RunStatus
from colorize.services import model, repair_scan
from colorize.services import repair as services
from tests.test_repair_support import (
    REPAIRER_PATH,
    SCRATCH_ROW,
    mask_upload,
    png,
    scratched_photo,
    scratched_values,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_repairer(settings):
    settings.REPAIRER = REPAIRER_PATH


@pytest.fixture
def photo(people):
    return scratched_photo(people)


def _json(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def _stroke(client, photo, action, points, radius=1):
    return _json(
        client,
        f"/api/photos/{photo.pk}/repair/strokes/",
        {"action": action, "points": points, "radius": radius},
    )


def _mask_of(client, photo) -> np.ndarray:
    response = client.get(f"/api/photos/{photo.pk}/repair/mask.png")
    assert response.status_code == 200, response.content
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.mode == "L"
        return np.asarray(image) == 255


def _upload(client, photo, mask):
    return client.post(f"/api/photos/{photo.pk}/repair/mask.png", {"mask": mask_upload(mask)})


def _state(client, photo) -> dict:
    return client.get(f"/api/photos/{photo.pk}/repair/").json()


def _apply(client, photo, revision):
    return _json(client, f"/api/photos/{photo.pk}/repair/apply/", {"revision": revision})


def _scratch_mask():
    return scratched_values()[1]


# ------------------------------------------------------------------------------------------------ find damage
def test_a_curator_finds_damage_and_the_detectors_mask_becomes_the_draft_mask(
    people, photo, client_for, django_capture_on_commit_callbacks
):
    curator = client_for(people.curator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _json(curator, f"/api/photos/{photo.pk}/repair/scans/")
    assert response.status_code == 202, response.content
    scan = DamageScan.objects.get(pk=response.json()["id"])
    assert scan.status == RunStatus.DONE and scan.progress == 100
    repairer = model.get_repairer()
    expected = repairer.mask_from_prob(repairer.detect(model.load_gray(photo)))
    assert scan.model_name == repairer.model_name and scan.model_checksum == repairer.checksum
    assert scan.pixels == int(expected.sum())
    state = _state(client_for(people.viewer), photo)
    assert state["scan"]["status"] == "done" and state["mask"]["source"] == "detector"
    assert state["mask"]["scan"] == scan.pk and state["mask"]["revision"] == 1
    assert np.array_equal(_mask_of(curator, photo), expected)
    assert client_for(people.viewer).get(f"/api/repair-scans/{scan.pk}/").json()["status"] == "done"


def test_a_curator_cancels_a_queued_search_and_its_job_then_does_nothing(people, photo, client_for):
    curator = client_for(people.curator)
    scan_id = _json(curator, f"/api/photos/{photo.pk}/repair/scans/").json()["id"]  # job not run yet
    response = _json(curator, f"/api/repair-scans/{scan_id}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert repair_scan.execute_scan(scan_id) == "cancelled"
    assert not RepairMask.objects.filter(photo=photo).exists()
    again = _json(curator, f"/api/repair-scans/{scan_id}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "scan_finished"


def test_a_second_search_while_one_is_queued_is_refused(people, photo, client_for):
    curator = client_for(people.curator)
    assert _json(curator, f"/api/photos/{photo.pk}/repair/scans/").status_code == 202
    second = _json(client_for(people.owner), f"/api/photos/{photo.pk}/repair/scans/")
    assert second.status_code == 409 and second.json()["error"]["code"] == "scan_running"
    assert DamageScan.objects.filter(photo=photo).count() == 1


# ------------------------------------------------------------------------------------------------ mask edits
def test_curators_paint_a_missed_speck_erase_a_false_find_and_undo_and_the_log_says_who(
    people, photo, client_for
):
    curator, owner = client_for(people.curator), client_for(people.owner)
    band = np.zeros((48, 64), bool)
    band[10:14, 5:40] = True  # a "false find" to erase later
    assert _upload(curator, photo, band).status_code == 201

    speck = _stroke(curator, photo, "add", [[50, 30]], radius=2)
    assert speck.status_code == 201, speck.content
    assert speck.json()["mask"]["revision"] == 2
    mask = _mask_of(curator, photo)
    assert mask[30, 50] and mask[28, 50] and not mask[30, 54]

    erased = _stroke(owner, photo, "remove", [[5, 12], [39, 12]], radius=3)
    assert erased.status_code == 201
    mask = _mask_of(curator, photo)
    assert not mask[10:14, 5:40].any() and mask[30, 50]

    undo = _json(curator, f"/api/photos/{photo.pk}/repair/strokes/undo/")
    assert undo.status_code == 200 and undo.json()["stroke"]["action"] == "remove"
    assert undo.json()["mask"]["revision"] == 4
    mask = _mask_of(curator, photo)
    assert mask[10:14, 5:40].all() and mask[30, 50]

    log = client_for(people.viewer).get(f"/api/photos/{photo.pk}/repair/strokes/").json()["results"]
    assert [(s["action"], s["created_by"], s["undone_by"]) for s in log] == [
        ("add", "curator", None),
        ("remove", "owner", "curator"),
    ]


def test_undo_with_no_stroke_left_is_a_conflict_and_changes_nothing(people, photo, client_for):
    curator = client_for(people.curator)
    _stroke(curator, photo, "add", [[10, 10]])
    assert _json(curator, f"/api/photos/{photo.pk}/repair/strokes/undo/").status_code == 200
    again = _json(curator, f"/api/photos/{photo.pk}/repair/strokes/undo/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_undo"
    assert RepairMask.objects.get(photo=photo).revision == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({"action": "smudge", "points": [[1, 1]], "radius": 2}, "action"),
        ({"action": "add", "points": [], "radius": 2}, "points"),
        ({"action": "add", "points": [[64, 10]], "radius": 2}, "points"),
        ({"action": "add", "points": [[-1, 10]], "radius": 2}, "points"),
        ({"action": "add", "points": [["a", 10]], "radius": 2}, "points"),
        ({"action": "add", "points": [[1, 1]], "radius": 0}, "radius"),
        ({"action": "add", "points": [[1, 1]], "radius": 2.5}, "radius"),
    ],
)
def test_a_malformed_stroke_is_refused_and_nothing_is_stored(people, photo, client_for, body, field):
    response = _json(client_for(people.curator), f"/api/photos/{photo.pk}/repair/strokes/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not RepairStroke.objects.exists()
    assert not RepairMask.objects.filter(photo=photo, revision__gt=0).exists()


def test_a_mask_of_the_wrong_size_is_refused_and_the_draft_mask_is_kept(people, photo, client_for):
    curator = client_for(people.curator)
    assert _upload(curator, photo, _scratch_mask()).status_code == 201
    before = RepairMask.objects.get(photo=photo)
    wrong = _upload(curator, photo, np.ones((47, 64), bool))
    assert wrong.status_code == 400 and "47" in wrong.json()["error"]["fields"]["mask"][0]
    after = RepairMask.objects.get(photo=photo)
    assert (after.revision, after.mask.name, after.base.name) == (
        before.revision,
        before.mask.name,
        before.base.name,
    )
    assert np.array_equal(_mask_of(curator, photo), _scratch_mask())


@pytest.mark.parametrize("kind", ["empty", "all white", "rgb", "jpeg", "garbage", "missing"])
def test_an_unusable_mask_upload_gets_a_clear_400_and_stores_nothing(people, photo, client_for, kind):
    url = f"/api/photos/{photo.pk}/repair/mask.png"
    if kind == "empty":
        body = {"mask": mask_upload(np.zeros((48, 64), bool))}
    elif kind == "all white":
        body = {"mask": mask_upload(np.ones((48, 64), bool))}
    elif kind == "rgb":
        body = {"mask": png(np.zeros((48, 64, 3), np.uint8) + 255)}
    elif kind == "jpeg":
        buffer = io.BytesIO()
        Image.new("L", (64, 48), 255).save(buffer, format="JPEG")
        buffer.seek(0)
        buffer.name = "mask.jpg"
        body = {"mask": buffer}
    elif kind == "garbage":
        body = {"mask": io.BytesIO(b"not a png at all")}
        body["mask"].name = "mask.png"
    else:
        body = {}
    response = client_for(people.curator).post(url, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["mask"]
    assert not RepairMask.objects.filter(photo=photo, revision__gt=0).exists()


# ------------------------------------------------------------------------------------------------ preview, apply
def test_the_preview_changes_only_the_masked_pixels_of_the_working_image(people, photo, client_for):
    curator = client_for(people.curator)
    revision = _upload(curator, photo, _scratch_mask()).json()["revision"]
    response = curator.get(f"/api/photos/{photo.pk}/repair/preview.png?revision={revision}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        after = np.asarray(image)
    with photo.gray.open("rb") as handle, Image.open(handle) as image:
        before = np.asarray(image)
    mask = _scratch_mask()
    assert after.shape == before.shape == (photo.height, photo.width)
    assert np.array_equal(after[~mask], before[~mask])
    assert after[mask].max() < 200  # the white scratch (255) is filled from its grey surroundings
    stale = curator.get(f"/api/photos/{photo.pk}/repair/preview.png?revision={revision - 1}")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "mask_changed"
    assert not RepairedBase.objects.exists()


def test_applying_records_a_repaired_base_and_the_original_stays_byte_identical(people, photo, client_for):
    curator = client_for(people.curator)
    with photo.original.open("rb") as handle:
        original_bytes = handle.read()
    revision = _upload(curator, photo, _scratch_mask()).json()["revision"]
    response = _apply(curator, photo, revision)
    assert response.status_code == 201, response.content
    body = response.json()
    base = RepairedBase.objects.get(pk=body["id"])
    repairer = model.get_repairer()
    mask = _scratch_mask()
    assert body["active"] and body["number"] == 1 and body["applied_by"] == "curator"
    assert body["model"] == {
        "name": repairer.model_name,
        "version": repairer.model_version,
        "checksum": repairer.checksum,
    }
    assert body["pixels"] == int(mask.sum()) and body["share"] == pytest.approx(mask.sum() / mask.size)
    assert body["mask_revision"] == revision and body["source_sha256"] == photo.sha256
    with photo.original.open("rb") as handle:
        assert handle.read() == original_bytes
    assert hashlib.sha256(original_bytes).hexdigest() == photo.sha256
    image = client_for(people.viewer).get(body["image_url"]).content
    assert hashlib.sha256(image).hexdigest() == base.image_sha256
    with Image.open(io.BytesIO(image)) as repaired:
        repaired = np.asarray(repaired)
    damaged = scratched_values()[0]
    assert np.array_equal(repaired[~mask], damaged[~mask])
    assert repaired[SCRATCH_ROW, 10:50].max() < 200
    stored_mask = client_for(people.viewer).get(body["mask_url"]).content
    with Image.open(io.BytesIO(stored_mask)) as m:
        assert m.mode == "L" and np.array_equal(np.asarray(m) == 255, mask)
    assert _state(curator, photo)["active_base"] == base.pk


def test_of_two_curators_applying_the_same_mask_one_wins_and_the_other_is_told(people, photo, client_for):
    revision = _upload(client_for(people.curator), photo, _scratch_mask()).json()["revision"]
    first = _apply(client_for(people.curator), photo, revision)
    second = _apply(client_for(people.owner), photo, revision)
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_applied"
    assert RepairedBase.objects.filter(photo=photo).count() == 1


def test_applying_a_mask_revision_that_changed_meanwhile_is_a_conflict(people, photo, client_for):
    curator = client_for(people.curator)
    revision = _upload(curator, photo, _scratch_mask()).json()["revision"]
    _stroke(client_for(people.owner), photo, "add", [[50, 40]])
    stale = _apply(curator, photo, revision)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "mask_changed"
    assert not RepairedBase.objects.exists()
    missing = _json(curator, f"/api/photos/{photo.pk}/repair/apply/", {})
    assert missing.status_code == 400 and "revision" in missing.json()["error"]["fields"]


def test_applying_an_erased_empty_mask_is_refused(people, photo, client_for):
    curator = client_for(people.curator)
    revision = _stroke(curator, photo, "add", [[30, 30]]).json()["mask"]["revision"]
    revision = _stroke(curator, photo, "remove", [[30, 30]], radius=4).json()["mask"]["revision"]
    response = _apply(curator, photo, revision)
    assert response.status_code == 400 and "mask" in response.json()["error"]["fields"]
    assert not RepairedBase.objects.exists()


def test_a_photo_still_being_processed_cannot_be_repaired_yet(people, client_for):
    from archive.services.ingest import do_ingest_photo
    from tests.test_repair_support import scratched_png

    pending = do_ingest_photo(people.curator, people.collection, io.BytesIO(scratched_png()), "p.png", None)
    assert pending.derivatives_status == DerivativeStatus.PENDING
    curator = client_for(people.curator)
    for response in (
        _json(curator, f"/api/photos/{pending.pk}/repair/scans/"),
        _stroke(curator, pending, "add", [[3, 3]]),
        curator.post(f"/api/photos/{pending.pk}/repair/mask.png", {"mask": mask_upload(_scratch_mask())}),
        _apply(curator, pending, 1),
    ):
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "photo_processing"
    assert not DamageScan.objects.exists() and not RepairMask.objects.filter(revision__gt=0).exists()


# ------------------------------------------------------------------------------------------------ permissions
def test_a_viewer_may_look_but_not_repair_and_an_outsider_sees_nothing(people, photo, client_for):
    revision = _upload(client_for(people.curator), photo, _scratch_mask()).json()["revision"]
    viewer, outsider, anonymous = client_for(people.viewer), client_for(people.outsider), client_for(None)
    assert viewer.get(f"/api/photos/{photo.pk}/repair/").status_code == 200
    assert viewer.get(f"/api/photos/{photo.pk}/repair/mask.png").status_code == 200
    writes = [
        lambda c: _json(c, f"/api/photos/{photo.pk}/repair/scans/"),
        lambda c: _stroke(c, photo, "add", [[3, 3]]),
        lambda c: _json(c, f"/api/photos/{photo.pk}/repair/strokes/undo/"),
        lambda c: c.post(f"/api/photos/{photo.pk}/repair/mask.png", {"mask": mask_upload(_scratch_mask())}),
        lambda c: c.get(f"/api/photos/{photo.pk}/repair/preview.png?revision={revision}"),
        lambda c: _apply(c, photo, revision),
        lambda c: _json(c, f"/api/photos/{photo.pk}/repair/undo/"),
    ]
    for write in writes:
        assert write(viewer).status_code == 403
        assert write(outsider).status_code == 404
        assert write(anonymous).status_code in (401, 403, 404)
    assert outsider.get(f"/api/photos/{photo.pk}/repair/").status_code == 404
    assert RepairMask.objects.get(photo=photo).revision == revision
    assert not RepairedBase.objects.exists() and not DamageScan.objects.exists()
    assert (
        _apply(client_for(people.reviewer), photo, revision).status_code == 201
    )  # reviewers are above curators


# ------------------------------------------------------------------------------------------------ undo a repair
def test_undoing_a_repair_returns_to_the_original_and_the_history_keeps_both(people, photo, client_for):
    curator = client_for(people.curator)
    revision = _upload(curator, photo, _scratch_mask()).json()["revision"]
    first = _apply(curator, photo, revision).json()
    undone = _json(client_for(people.owner), f"/api/photos/{photo.pk}/repair/undo/")
    assert undone.status_code == 200 and undone.json()["active"] is False
    assert undone.json()["withdrawn_by"] == "owner"
    assert services.active_base(photo) is None
    again = _json(curator, f"/api/photos/{photo.pk}/repair/undo/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_repair"
    second = _apply(curator, photo, revision)  # the same mask may be applied again after an undo
    assert second.status_code == 201 and second.json()["number"] == 2
    state = _state(curator, photo)
    assert state["active_base"] == second.json()["id"]
    assert [(b["number"], b["active"]) for b in state["bases"]] == [(2, True), (1, False)]
    assert RepairedBase.objects.get(pk=first["id"]).image_sha256 == first["image_sha256"]
    assert Photo.objects.get(pk=photo.pk).sha256 == photo.sha256


def test_a_korean_curator_is_told_in_korean_why_a_mask_was_refused(people, photo, client_for):
    response = client_for(people.curator).post(
        f"/api/photos/{photo.pk}/repair/mask.png",
        {"mask": mask_upload(np.zeros((48, 64), bool))},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mask"] == ["마스크가 비어 있어 복원할 곳이 없습니다"]


# ------------------------------------------------------------------------------------------------ room events
def test_the_room_hears_each_stroke_its_undo_and_the_apply_after_they_are_committed(
    people, photo, client_for, memory_layer, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"photo.{photo.pk}", channel)
    curator = client_for(people.curator)

    def heard():
        return async_to_sync(layer.receive)(channel)["event"]

    with django_capture_on_commit_callbacks(execute=True):
        _stroke(curator, photo, "add", [[10, 20], [40, 20]])
    event = heard()
    assert event["type"] == "repair.mask" and event["mask"]["revision"] == 1
    assert event["stroke"]["action"] == "add" and event["stroke"]["created_by"] == "curator"
    with django_capture_on_commit_callbacks(execute=True):
        _json(curator, f"/api/photos/{photo.pk}/repair/strokes/undo/")
    event = heard()
    assert event["type"] == "repair.stroke_undone" and event["stroke"]["undone_by"] == "curator"
    with django_capture_on_commit_callbacks(execute=True):
        revision = _upload(curator, photo, _scratch_mask()).json()["revision"]
    assert heard()["mask"]["source"] == "upload"
    with django_capture_on_commit_callbacks(execute=True):
        applied = _apply(curator, photo, revision).json()
    event = heard()
    assert event["type"] == "repair.applied" and event["base"]["id"] == applied["id"]
    with django_capture_on_commit_callbacks(execute=True):
        refused = _stroke(client_for(people.viewer), photo, "add", [[3, 3]])
    assert refused.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        _json(curator, f"/api/photos/{photo.pk}/repair/undo/")
    assert heard()["type"] == "repair.undone"  # nothing was sent for the refused stroke


def test_a_repair_checkpoint_that_fails_its_checksum_answers_503_and_stores_nothing(
    people, photo, client_for, settings
):
    curator = client_for(people.curator)
    revision = _upload(curator, photo, _scratch_mask()).json()["revision"]
    settings.REPAIRER = "tests.test_repair_support.tampered_repairer"
    for response in (
        _apply(curator, photo, revision),
        curator.get(f"/api/photos/{photo.pk}/repair/preview.png?revision={revision}"),
    ):
        assert response.status_code == 503, response.content
        assert response.json()["error"]["code"] == "model_unavailable"
    assert not RepairedBase.objects.exists()


@pytest.mark.parametrize("stuck", ["queued", "running"])
def test_a_search_whose_worker_died_or_job_was_lost_no_longer_blocks_a_new_one(
    people, photo, client_for, settings, stuck
):
    from datetime import timedelta

    from django.utils import timezone

    curator = client_for(people.curator)
    old_id = _json(curator, f"/api/photos/{photo.pk}/repair/scans/").json()["id"]
    fresh = _json(curator, f"/api/photos/{photo.pk}/repair/scans/")
    assert fresh.status_code == 409  # still fresh: it blocks
    long_ago = timezone.now() - timedelta(seconds=settings.RUN_STALE_SECONDS + 5)
    if stuck == "queued":
        DamageScan.objects.filter(pk=old_id).update(created_at=long_ago)
    else:
        DamageScan.objects.filter(pk=old_id).update(status="running", claim="dead", heartbeat_at=long_ago)
    response = _json(curator, f"/api/photos/{photo.pk}/repair/scans/")
    assert response.status_code == 202, response.content
    old = DamageScan.objects.get(pk=old_id)
    assert old.status == "failed" and old.error
    assert repair_scan.execute_scan(old_id) == "failed"  # a late delivery of the lost job does nothing
