"""BagIt export of a collection (colorize/services/bagit_export.py): 202 + status URL, a ZIP of one valid
BagIt 1.0 bag whose originals are byte-identical, with restorations, provenance, annotations, manifests, DC."""

import csv
import io
import json
import subprocess
import sys
import zipfile

import bagit
import pytest

from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("test_colorizer")]


@pytest.fixture
def photos(people):
    first = make_photo(people.collection, people.curator, width=80, height=60, title="서울역 1950", seed=1)
    second = make_photo(people.collection, people.curator, width=64, height=48, title="Harbour", seed=2)
    version = run_now(people.curator, first).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version)
    run_now(people.curator, second)  # a draft: its provenance is in the bag, its image is not
    add_hint(first, people.curator, 0.5, 0.5, "#b22222", verified_by=people.reviewer, evidence_note="깃발 색")
    return first, second, version


def _export(client, collection_id):
    response = client.post(f"/api/collections/{collection_id}/exports/bagit/")
    assert response.status_code == 202, response.content
    status_url = response.json()["status_url"]
    assert response["Location"] == status_url
    job = client.get(status_url).json()  # JOB_BACKEND=sync in tests: done by now
    assert job["status"] == "done", job
    download = client.get(job["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    return job, b"".join(download.streaming_content)


def test_an_owner_exports_a_valid_bagit_bag_with_the_originals_byte_for_byte(
    people, photos, client_for, tmp_path
):
    first, second, version = photos
    job, data = _export(client_for(people.owner), people.collection.pk)
    assert job["total"] == 2 and job["counts"] == {"ok": 2}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path / "out")
    (root,) = list((tmp_path / "out").iterdir())
    bag = bagit.Bag(str(root))
    bag.validate()  # every checksum of both manifests, Payload-Oxum, tag manifests
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert (root / "bagit.txt").read_text().startswith("BagIt-Version: 1.0\n")
    info = bag.info
    assert info["Source-Organization"] == "Find Color"
    assert info["Bagging-Date"] and info["Payload-Oxum"]
    for photo in (first, second):
        stored = root / f"data/originals/photo{photo.pk}-{photo.sha256}.png"
        with photo.original.open("rb") as f:
            assert stored.read_bytes() == f.read()
    # The command-line validator agrees.
    cli = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(root)], capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr


def test_the_bag_holds_restorations_provenance_annotations_manifests_and_dublin_core(
    people, photos, client_for, tmp_path
):
    first, second, version = photos
    _job, data = _export(client_for(people.reviewer), people.collection.pk)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    prefix = names[0].split("/", 1)[0]

    def read(name):
        return archive.read(f"{prefix}/data/{name}")

    restored = read(f"restorations/photo{first.pk}-v{version.number}-ai-colorized.png")
    assert b"compositeWithTrainedAlgorithmicMedia" in restored  # its XMP says it is AI-colorized
    assert not [n for n in names if f"restorations/photo{second.pk}-" in n]  # drafts are not published
    prov = json.loads(read(f"provenance/photo{second.pk}-v1.json"))
    assert prov["ai_generated"] is True and prov["export"]["draft"] is True
    annotations = json.loads(read(f"annotations/photo{first.pk}-hints.json"))
    (hint,) = annotations["items"]
    assert hint["type"] == "Annotation" and hint["body"][0]["value"] == "#b22222"
    assert any(b.get("value") == "깃발 색" for b in hint["body"])
    manifest = json.loads(read(f"iiif/photo{first.pk}.json"))
    assert manifest["type"] == "Manifest"
    assert json.loads(read("iiif/collection.json"))["type"] == "Collection"
    dc = json.loads(read("metadata/dublin_core.json"))
    assert {row["title"] for row in dc} == {"서울역 1950", "Harbour"}
    rows = list(csv.DictReader(io.StringIO(read("metadata/dublin_core.csv").decode("utf-8-sig"))))
    assert {row["sha256"] for row in rows} == {first.sha256, second.sha256}
    korean = next(row for row in rows if row["photo_id"] == str(first.pk))
    assert korean["title"] == "서울역 1950" and korean["title_lang"] == "ko"


def test_a_curator_a_viewer_and_an_outsider_may_not_export(people, photos, client_for):
    for user, expected in ((people.curator, 403), (people.viewer, 403), (people.outsider, 404), (None, 403)):
        response = client_for(user).post(f"/api/collections/{people.collection.pk}/exports/bagit/")
        assert response.status_code == expected, (user, response.content)


def test_an_outsider_cannot_follow_or_download_someone_elses_export(people, photos, client_for):
    job, _data = _export(client_for(people.owner), people.collection.pk)
    for user in (people.outsider, people.curator):
        client = client_for(user)
        assert client.get(job["status_url"]).status_code in (403, 404)
        assert client.get(job["download_url"]).status_code in (403, 404)


def test_a_lost_export_is_enqueued_again_by_the_recovery_sweep_and_finishes(people, photos, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from colorize.models import InteropJob, InteropKind
    from colorize.services.interop import recover_interop_jobs

    # A job row whose worker died before it started (as after a server restart): queued and silent.
    job = InteropJob.objects.create(
        collection=people.collection,
        kind=InteropKind.BAGIT_EXPORT,
        requested_by=people.owner,
        params={"base_url": "http://testserver/"},
        total=2,
    )
    InteropJob.objects.filter(pk=job.pk).update(updated=timezone.now() - timedelta(hours=1))
    assert recover_interop_jobs() == [job.pk]  # JOB_BACKEND=sync: it runs now
    job.refresh_from_db()
    assert job.status == "done" and job.file
    assert recover_interop_jobs() == []  # nothing left to recover
