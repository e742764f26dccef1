"""Adaptations (docs/adaptation.md): a collection's colour references, the background rebuild and its gate, the
adaptation a run picks and records, and the exports that name it. The model is the shipped one; adaptations
are built by the real ml.build_adaptation from tiny generated colour images."""

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from archive.models import Era
from colorize.models import Adaptation, AdaptationStatus, ReferencePhoto
from colorize.models.adaptation import collection_scope, context_scope
from colorize.services import adaptation as adaptation_services
from colorize.services import model
from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

_BUILT: dict = {}


def colour_scene(seed: int, side: int = 48) -> np.ndarray:
    """A small 'period colour photograph': a blue sky over green ground, with texture, the same palette in
    every one (so an adaptation learns it and its gate can measure it)."""
    rng = np.random.default_rng(seed)
    h, w = side * 3 // 4, side
    image = np.zeros((h, w, 3), np.float32)
    horizon = int(h * rng.uniform(0.35, 0.6))
    image[:horizon] = (70, 120, 200)
    image[horizon:] = (60, 130, 50)
    image *= rng.uniform(0.6, 1.2, size=(h, w, 1))
    return np.clip(image, 0, 255).astype(np.uint8)


def png_upload(array: np.ndarray, name: str = "kodachrome.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def add_references(collection, user, n: int, first_seed: int = 0) -> list[ReferencePhoto]:
    refs = []
    for seed in range(first_seed, first_seed + n):
        ref = ReferencePhoto(
            collection=collection, sha256=f"{seed:064x}", title=f"scene {seed}", added_by=user
        )
        ref.image.save("reference.png", ContentFile(png_upload(colour_scene(seed)).getvalue()), save=False)
        ref.save()
        refs.append(ref)
    return refs


def built_adaptation():
    """One real ml adaptation of eight generated scenes, built once per test session (it takes seconds)."""
    if "a" not in _BUILT:
        _BUILT["a"] = model.build_adaptation([colour_scene(s) for s in range(8)], name="test scenes")
    return _BUILT["a"]


def stored_adaptation(scope: str, *, collection=None, era=None, passed=None, status=AdaptationStatus.DONE):
    """A finished Adaptation row holding the real adaptation's bytes (`passed` as its gate said, or forced off)."""
    built = built_adaptation()
    row = Adaptation(
        scope=scope,
        collection=collection,
        era=era,
        status=status,
        inputs_digest="x" * 64,
        checksum=built.checksum,
        model_checksum=str(model.get_colorizer().checksum),
        gate=dict(built.gate),
        passed=built.usable if passed is None else passed,
        n_references=8,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    row.data.save("a.fca", ContentFile(built.to_bytes()), save=False)
    row.save()
    return row


@pytest.fixture
def photo(people):
    return make_photo(people.collection, people.owner)


@pytest.fixture
def passed(people):
    row = stored_adaptation(collection_scope(people.collection.pk), collection=people.collection)
    assert row.passed, f"the generated scenes should pass the gate: {row.gate}"
    return row


# ------------------------------------------------------------------------------------------- references


def test_a_curator_adds_colour_references_and_the_adaptation_job_runs_and_is_recorded(
    people, client_for, django_capture_on_commit_callbacks
):
    client = client_for(people.curator)
    url = f"/api/collections/{people.collection.pk}/references/"
    for seed in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, {"image": png_upload(colour_scene(seed)), "title": f"Kodachrome {seed}"}
            )
        assert response.status_code == 201, response.content
        assert response.json()["collection"] == people.collection.pk
    listed = client_for(people.viewer).get(url).json()["results"]
    assert len(listed) == 5
    rows = Adaptation.objects.filter(scope=collection_scope(people.collection.pk)).order_by("id")
    assert [r.status for r in rows] == [AdaptationStatus.DONE] * 5
    assert [r.passed for r in rows[:4]] == [False] * 4  # fewer than 5 references: recorded, never used
    newest = rows.last()
    assert newest.n_references == 5 and newest.checksum and newest.gate["n_heldout"] >= 1
    assert newest.model_checksum == model.get_colorizer().checksum
    state = client.get(f"/api/collections/{people.collection.pk}/adaptation/").json()
    assert state["references"] == 5 and state["building"] is False
    assert state["current"]["id"] == newest.pk and state["current"]["n_heldout"] == newest.gate["n_heldout"]


def test_the_same_image_twice_in_a_collection_is_a_conflict(people, client_for):
    client = client_for(people.curator)
    url = f"/api/collections/{people.collection.pk}/references/"
    assert client.post(url, {"image": png_upload(colour_scene(1))}).status_code == 201
    again = client.post(url, {"image": png_upload(colour_scene(1), "copy.png")})
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"
    assert ReferencePhoto.objects.filter(collection=people.collection).count() == 1


def test_a_file_that_is_no_image_is_refused_and_nothing_is_stored(people, client_for):
    bad = io.BytesIO(b"<html>not an image</html>")
    bad.name = "x.png"
    response = client_for(people.curator).post(
        f"/api/collections/{people.collection.pk}/references/", {"image": bad}
    )
    assert response.status_code == 415 and "image" in response.json()["error"]["fields"]
    assert not ReferencePhoto.objects.exists()


@pytest.mark.parametrize("who, status", [("viewer", 403), ("reviewer", 201), ("outsider", 404), (None, 403)])
def test_only_curators_and_above_add_references_and_outsiders_learn_nothing(people, client_for, who, status):
    user = getattr(people, who) if who else None
    response = client_for(user).post(
        f"/api/collections/{people.collection.pk}/references/", {"image": png_upload(colour_scene(2))}
    )
    assert response.status_code == status


def test_an_outsider_gets_404_for_the_references_the_adaptation_and_a_reference(people, client_for):
    (ref,) = add_references(people.collection, people.curator, 1)
    outsider = client_for(people.outsider)
    assert outsider.get(f"/api/collections/{people.collection.pk}/references/").status_code == 404
    assert outsider.get(f"/api/collections/{people.collection.pk}/adaptation/").status_code == 404
    assert outsider.get(f"/api/references/{ref.pk}/").status_code == 404
    assert outsider.delete(f"/api/references/{ref.pk}/").status_code == 404
    assert outsider.get("/media/" + ref.image.name).status_code == 404
    assert client_for(people.viewer).get("/media/" + ref.image.name).status_code == 200
    # and the shared era/situation list never shows a collection's reference
    assert client_for(people.curator).get("/api/references/").json()["results"] == []


def test_a_viewer_may_not_remove_a_reference_and_a_curator_may(
    people, client_for, django_capture_on_commit_callbacks
):
    refs = add_references(people.collection, people.curator, 5)
    adaptation_services.rebuild_collection(people.collection.pk)
    assert client_for(people.viewer).delete(f"/api/references/{refs[0].pk}/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(people.curator).delete(f"/api/references/{refs[0].pk}/").status_code == 204
    assert not ReferencePhoto.objects.filter(pk=refs[0].pk).exists()
    # four left: the rebuild recorded that the collection has no usable adaptation any more
    newest = adaptation_services.current(collection_scope(people.collection.pk))
    assert newest.n_references == 4 and not newest.passed
    assert (
        adaptation_services.pick_for_run(people.collection.photos.model(collection=people.collection), {})
        is None
    )


# ------------------------------------------------------------------------------------------- the job


def test_a_rebuild_with_unchanged_inputs_builds_nothing_and_one_scope_builds_once_at_a_time(people):
    add_references(people.collection, people.curator, 5)
    assert adaptation_services.rebuild_collection(people.collection.pk) == AdaptationStatus.DONE
    assert adaptation_services.rebuild_collection(people.collection.pk) == "unchanged"
    assert Adaptation.objects.count() == 1
    add_references(people.collection, people.curator, 1, first_seed=10)
    Adaptation.objects.create(
        scope=collection_scope(people.collection.pk),
        collection=people.collection,
        status=AdaptationStatus.BUILDING,
        inputs_digest="y" * 64,
        started_at=timezone.now(),
    )
    assert adaptation_services.rebuild_collection(people.collection.pk) == "busy"
    assert Adaptation.objects.count() == 2


def test_approved_restorations_count_only_through_their_verified_hints_weighted_by_area(people, photo):
    add_hint(photo, people.curator, color="#336699", radius=0.02, verified_by=people.reviewer)
    add_hint(photo, people.curator, x=0.2, color="#336699", radius=0.01, verified_by=people.reviewer)
    add_hint(photo, people.curator, x=0.8, color="#ff0000", radius=0.05)  # a suggestion: never counted
    version = run_now(people.curator, photo, {"hints": "all"}).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    colours = adaptation_services.inputs_of(
        adaptation_services.collection_scope_of(people.collection)
    ).colours
    assert [c for c, _w in colours] == ["#336699"]
    assert colours[0][1] == pytest.approx(np.pi * (0.02**2 + 0.01**2) / 0.75)  # shares of a 64x48 photo


def test_an_approval_rebuilds_the_collections_adaptation_with_its_verified_colours(
    people, photo, django_capture_on_commit_callbacks
):
    add_references(people.collection, people.curator, 5)
    adaptation_services.rebuild_collection(people.collection.pk)
    add_hint(photo, people.curator, color="#336699", verified_by=people.reviewer)
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.do_approve(people.reviewer, version)
    newest = adaptation_services.current(collection_scope(people.collection.pk))
    assert (
        newest.n_verified_colours == 1
        and Adaptation.objects.filter(collection=people.collection).count() == 2
    )


# ------------------------------------------------------------------------------------------- runs


def test_a_run_records_the_collections_passed_adaptation(people, photo, passed, client_for):
    run = run_now(people.curator, photo)
    assert run.status == "done", run.error
    assert run.adaptation_id == passed.pk and run.adaptation_checksum == passed.checksum
    ref = run.version.reference
    assert ref["kind"] == "adaptation" and ref["checksum"] == passed.checksum and ref["n_references"] == 8
    body = client_for(people.viewer).get(f"/api/runs/{run.pk}/").json()
    assert body["adaptation"] == passed.pk and body["adaptation_checksum"] == passed.checksum
    assert body["use_adaptation"] is True


def test_a_curator_may_ask_for_a_run_without_adaptation_under_either_name(people, photo, passed):
    for flag in ("use_adaptation", "use_profile"):
        run = run_now(people.curator, photo, {flag: "false"})
        assert run.adaptation_id is None and run.adaptation_checksum == ""
        assert run.version.reference == {"kind": "none"} and run.version.params["use_adaptation"] is False


def test_a_reference_photo_given_to_a_run_comes_before_the_adaptation(people, photo, passed):
    (ref,) = add_references(people.collection, people.curator, 1, first_seed=20)
    run = run_now(people.curator, photo, {"reference": ref.pk})
    assert run.version.reference["kind"] == "reference" and run.adaptation_id is None


def test_another_collections_reference_is_not_offered_to_a_run(people, photo):
    from tests.factories import CollectionFactory

    elsewhere = CollectionFactory(owner=people.outsider)
    (ref,) = add_references(elsewhere, people.outsider, 1)
    from config.api import ServiceError

    with pytest.raises(ServiceError):
        run_now(people.curator, photo, {"reference": ref.pk})


def test_the_era_adaptation_is_used_when_the_collection_has_none_passed(people, photo):
    era = Era.objects.get(slug="korean-war")
    photo.era = era
    photo.save()
    stored_adaptation(collection_scope(people.collection.pk), collection=people.collection, passed=False)
    era_row = stored_adaptation(context_scope("korean-war", None), era=era)
    run = run_now(people.curator, photo)
    assert run.adaptation_id == era_row.pk and run.version.reference["scope"] == "context:korean-war/*"


def test_a_failed_or_unpassed_adaptation_is_never_used(people, photo):
    scope = collection_scope(people.collection.pk)
    stored_adaptation(scope, collection=people.collection, passed=False)
    stored_adaptation(scope, collection=people.collection, status=AdaptationStatus.FAILED)
    run = run_now(people.curator, photo)
    assert run.adaptation_id is None and run.version.reference == {"kind": "none"}


def test_a_run_never_waits_for_a_rebuild_it_uses_the_previous_passed_one(people, photo, passed):
    Adaptation.objects.create(
        scope=passed.scope,
        collection=people.collection,
        status=AdaptationStatus.BUILDING,
        inputs_digest="z" * 64,
        started_at=timezone.now(),
    )
    run = run_now(people.curator, photo)
    assert run.status == "done" and run.adaptation_id == passed.pk


def test_a_run_during_the_first_rebuild_goes_on_without_adaptation(people, photo):
    Adaptation.objects.create(
        scope=collection_scope(people.collection.pk),
        collection=people.collection,
        status=AdaptationStatus.BUILDING,
        inputs_digest="z" * 64,
        started_at=timezone.now(),
    )
    run = run_now(people.curator, photo)
    assert run.status == "done" and run.adaptation_id is None


def test_a_malformed_stored_adaptation_is_refused_and_the_run_goes_on_without_it(
    people, photo, passed, client_for
):
    with passed.data.storage.open(passed.data.name, "wb") as handle:
        handle.write(b"FCADAPT but not really" * 10)
    run = run_now(people.curator, photo)
    assert run.status == "done", run.error
    assert run.adaptation_id is None and run.adaptation_checksum == ""
    refused = run.version.reference["adaptation_refused"]
    assert run.version.reference["kind"] == "none" and refused["id"] == passed.pk and refused["error"]
    assert client_for(people.curator).get(f"/api/runs/{run.pk}/").status_code == 200
    sidecar = client_for(people.curator).get(f"/api/versions/{run.version.pk}/sidecar/").json()
    assert sidecar["adaptation"]["used"] is False and sidecar["adaptation"]["refused"]["id"] == passed.pk


# ------------------------------------------------------------------------------------------- exports


def test_exports_name_the_adaptation_that_was_used(people, photo, passed, client_for):
    version = run_now(people.curator, photo).version
    client = client_for(people.curator)
    sidecar = client.get(f"/api/versions/{version.pk}/sidecar/").json()
    assert sidecar["adaptation"]["used"] is True and sidecar["adaptation"]["checksum"] == passed.checksum
    assert sidecar["adaptation"]["n_references"] == 8
    assert passed.checksum[:16] in sidecar["account"]["text"]
    jpeg = client.get(f"/api/versions/{version.pk}/export/?format=jpeg").content
    assert b"<fc:AdaptationUsed>True</fc:AdaptationUsed>" in jpeg
    assert f"<fc:AdaptationChecksum>{passed.checksum}</fc:AdaptationChecksum>".encode() in jpeg


def test_exports_say_when_no_adaptation_was_used(people, photo, client_for):
    version = run_now(people.curator, photo).version
    client = client_for(people.curator)
    sidecar = client.get(f"/api/versions/{version.pk}/sidecar/").json()
    assert sidecar["adaptation"] == {"used": False}
    assert "No adaptation" in sidecar["account"]["text"]
    assert (
        b"<fc:AdaptationUsed>False</fc:AdaptationUsed>"
        in client.get(f"/api/versions/{version.pk}/export/?format=png").content
    )


def test_the_c2pa_manifest_names_the_adaptation(people, photo, passed):
    from colorize.services import provenance, signing

    version = run_now(people.curator, photo).version
    manifest = signing.manifest_definition("x.jpg", "image/jpeg", version, provenance.provenance(version))
    data = next(a["data"] for a in manifest["assertions"] if a["label"] == signing.PROVENANCE_LABEL)
    assert data["adaptation"]["checksum"] == passed.checksum


# ------------------------------------------------------------------------------------------- live previews


def test_live_previews_and_suggestions_use_the_adaptation_a_run_would_use(people, photo, passed):
    found = adaptation_services.for_previews(photo)
    assert found is not None and found.checksum == passed.checksum
    gray = model.load_gray(photo, 256)
    colorizer = model.get_colorizer()
    assert colorizer.colorize(gray, adaptation=found, max_side=256).adaptation == passed.checksum
    # a newer unpassed build of the scope withdraws it from previews as from runs
    stored_adaptation(passed.scope, collection=people.collection, passed=False)
    assert adaptation_services.for_previews(photo) is None


def test_a_preview_goes_on_without_an_adaptation_whose_file_is_refused(people, photo, passed):
    with passed.data.storage.open(passed.data.name, "wb") as handle:
        handle.write(b"not an adaptation")
    adaptation_services._VERIFIED.clear()
    assert adaptation_services.for_previews(photo) is None


# ------------------------------------------------------------------------------------------- the periodic job


def test_an_adaptation_checked_with_another_model_is_rebuilt_by_the_periodic_job(
    people, django_capture_on_commit_callbacks
):
    add_references(people.collection, people.curator, 5)
    scope = collection_scope(people.collection.pk)
    old = stored_adaptation(scope, collection=people.collection)
    # made before a new checkpoint: the same references, another model
    inputs = adaptation_services.inputs_of(adaptation_services.collection_scope_of(people.collection))
    inputs.model_checksum = "0" * 64
    Adaptation.objects.filter(pk=old.pk).update(model_checksum="0" * 64, inputs_digest=inputs.digest())
    with django_capture_on_commit_callbacks(execute=True):  # the queued job runs after the commit
        assert adaptation_services.rebuild_stale() == 1
    newest = adaptation_services.current(scope)
    assert newest.pk != old.pk and newest.model_checksum == model.get_colorizer().checksum
    assert newest.n_references == 5
    assert adaptation_services.rebuild_stale() == 0  # up to date now: nothing queued


def test_an_abandoned_build_is_taken_over_by_the_periodic_job(people, django_capture_on_commit_callbacks):
    add_references(people.collection, people.curator, 5)
    scope = collection_scope(people.collection.pk)
    dead = Adaptation.objects.create(
        scope=scope,
        collection=people.collection,
        status=AdaptationStatus.BUILDING,
        inputs_digest="z" * 64,
        started_at=timezone.now() - adaptation_services.STALE_BUILD * 2,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert adaptation_services.rebuild_stale() == 1
    dead.refresh_from_db()
    assert dead.status == AdaptationStatus.FAILED
    assert adaptation_services.current(scope).n_references == 5


def test_an_approved_photo_moved_to_another_era_leaves_the_old_eras_adaptation_at_the_next_periodic_job(
    people, photo, django_capture_on_commit_callbacks
):
    korean_war, other = Era.objects.get(slug="korean-war"), Era.objects.exclude(slug="korean-war").first()
    photo.era = korean_war
    photo.save()
    shared = add_references(None, people.curator, 5)
    ReferencePhoto.objects.filter(pk__in=[r.pk for r in shared]).update(era=korean_war)
    add_hint(photo, people.curator, color="#336699", verified_by=people.reviewer)
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.do_approve(people.reviewer, version)
    scope = context_scope("korean-war", None)
    assert adaptation_services.current(scope).n_verified_colours == 1
    assert adaptation_services.rebuild_stale() == 0  # nothing drifted yet
    # the archivist corrects the photo's era: no hook rebuilds the Korean War scope, the periodic job does
    photo.era = other
    photo.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert adaptation_services.rebuild_stale() == 1
    assert adaptation_services.current(scope).n_verified_colours == 0
    assert adaptation_services.rebuild_stale() == 0


def test_deleting_a_collection_deletes_its_reference_and_adaptation_files(
    people, django_capture_on_commit_callbacks
):
    refs = add_references(people.collection, people.curator, 5)
    adaptation_services.rebuild_collection(people.collection.pk)
    row = adaptation_services.current(collection_scope(people.collection.pk))
    storage = row.data.storage
    names = [ref.image.name for ref in refs] + [row.data.name]
    assert all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        people.collection.delete()
    assert not ReferencePhoto.objects.exists() and not Adaptation.objects.exists()
    assert [name for name in names if storage.exists(name)] == []
