"""Hostile ZIPs (issue 13, item 2): the archive's structure is checked before anything is inflated, and
inflation is budgeted on the bytes actually produced; heavy archives are a background batch with progress.

Every malicious archive is built here, byte by byte where zipfile would refuse to write it.
"""

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archive.models import Photo, UploadBatch
from tests.factories import gray_image_bytes, jobs_run_now
from tests.test_upload import stored_files
from tests.test_upload_zip import by_name, make_zip, post_zip

pytestmark = pytest.mark.django_db

EOCD = struct.Struct("<4sHHHHIIH")


def split_zip(data: bytes):
    """(local part, central directory entries as bytes, end record) of a zip made by zipfile."""
    end_at = data.rindex(b"PK\x05\x06")
    _sig, _disk, _cd_disk, _n_here, count, cd_size, cd_offset, _comment = EOCD.unpack(
        data[end_at : end_at + EOCD.size]
    )
    central = data[cd_offset : cd_offset + cd_size]
    entries, at = [], 0
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack("<HHH", central[at + 28 : at + 34])
        size = 46 + name_len + extra_len + comment_len
        entries.append(central[at : at + size])
        at += size
    return data[:cd_offset], entries, data[end_at:]


def join_zip(local: bytes, entries: list[bytes], end: bytes) -> bytes:
    central = b"".join(entries)
    sig, disk, cd_disk, _n, _count, _size, _offset, comment = EOCD.unpack(end[: EOCD.size])
    record = EOCD.pack(sig, disk, cd_disk, len(entries), len(entries), len(central), len(local), comment)
    return local + central + record + end[EOCD.size :]


def test_many_directory_copies_of_one_deflated_member_are_refused_before_inflating_anything(
    people, client_for, settings
):
    """The 218 KB / 2 GB bomb: one deflated stream that the central directory lists again and again."""
    payload = gray_image_bytes(256, 256, fmt="TIFF", seed=1)  # an uncompressed TIFF: decoding each costs
    local, entries, end = split_zip(make_zip({"scan.tif": payload}))
    bomb = join_zip(local, entries * 40, end)
    assert len(zipfile.ZipFile(io.BytesIO(bomb)).infolist()) == 40  # zipfile itself would read 40 members
    response = post_zip(client_for(people.curator), people.collection, bomb)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "zip_duplicate_member"
    assert Photo.objects.count() == 0 and stored_files(settings) == []


def test_copies_under_different_names_disagree_with_their_local_header_and_are_refused(people, client_for):
    local, entries, end = split_zip(make_zip({"aaaa.tif": gray_image_bytes(fmt="TIFF", seed=2)}))
    copies = [entries[0].replace(b"aaaa.tif", f"{i:04d}.tif".encode()) for i in range(20)]
    response = post_zip(client_for(people.curator), people.collection, join_zip(local, copies, end))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "zip_inconsistent"
    assert "aaaa.tif" not in response.json()["error"]["message"]  # it names the entry it could not trust
    assert Photo.objects.count() == 0


def _patch_sizes(data: bytes, member_index: int, compress_size: int, *, local_too: bool) -> bytes:
    """Make member `member_index` claim `compress_size` in the central directory (and its local header)."""
    local, entries, end = split_zip(data)
    local = bytearray(local)
    entry = bytearray(entries[member_index])
    entry[20:24] = compress_size.to_bytes(4, "little")
    entries[member_index] = bytes(entry)
    if local_too:
        offset = int.from_bytes(entry[42:46], "little")
        local[offset + 18 : offset + 22] = compress_size.to_bytes(4, "little")
    return join_zip(bytes(local), entries, end)


def test_a_member_whose_lying_size_overlaps_the_next_member_refuses_the_archive(people, client_for):
    data = make_zip({"a.png": gray_image_bytes(seed=3), "b.png": gray_image_bytes(seed=4)})
    a_size = zipfile.ZipFile(io.BytesIO(data)).getinfo("a.png").compress_size
    lying = _patch_sizes(data, 0, a_size + 200, local_too=True)  # a.png's data now runs over b.png's header
    response = post_zip(client_for(people.curator), people.collection, lying)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "zip_overlap" and "a.png" in error["message"] and "b.png" in error["message"]
    assert Photo.objects.count() == 0


def test_a_central_size_that_disagrees_with_the_local_header_refuses_the_archive(people, client_for):
    data = make_zip({"a.png": gray_image_bytes(seed=5), "b.png": gray_image_bytes(seed=6)})
    lying = _patch_sizes(data, 1, 10, local_too=False)
    response = post_zip(client_for(people.curator), people.collection, lying)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "zip_inconsistent"
    assert "b.png" in response.json()["error"]["message"]


def test_inflation_is_budgeted_on_the_bytes_actually_produced_for_the_whole_archive(
    people, client_for, settings
):
    members = {f"{c}.tif": gray_image_bytes(200, 200, fmt="TIFF", seed=i) for i, c in enumerate("abcd")}
    assert all(40_000 < len(v) < 41_000 for v in members.values())
    settings.ZIP_MAX_INFLATED_BYTES = 100_000  # room for two members and a half
    response = post_zip(client_for(people.curator), people.collection, make_zip(members))
    assert response.status_code == 200
    results = by_name(response)
    assert [results[n]["status"] for n in ("a.tif", "b.tif")] == ["ok", "ok"]
    assert results["c.tif"]["code"] == "zip_budget" and results["d.tif"]["code"] == "zip_budget"
    assert "100,000" in results["d.tif"]["message"]
    assert Photo.objects.count() == 2


def test_a_heavy_archive_becomes_a_background_batch_with_progress_and_a_report(people, client_for, settings):
    settings.ZIP_SYNC_MAX_MEMBERS = 2
    data = make_zip(
        {
            "a.png": gray_image_bytes(seed=7),
            "b.jpg": gray_image_bytes(fmt="JPEG", seed=8),
            "c.png": gray_image_bytes(seed=9),
            "notes.txt": b"not an image",
        }
    )
    curator = client_for(people.curator)
    response = post_zip(curator, people.collection, data, era="korean-war")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["total"] == 4 and response["Location"] == body["status_url"]
    status = curator.get(f"/api/batches/{body['id']}/")  # JOB_BACKEND=sync: the job ran after the commit
    assert status.status_code == 200
    report = status.json()
    assert report["status"] == "done" and report["processed"] == 4
    assert report["counts"] == {"ok": 3, "duplicate": 0, "error": 1, "skipped": 0}
    assert {r["name"]: r["status"] for r in report["results"]}["notes.txt"] == "error"
    assert set(Photo.objects.values_list("era__slug", flat=True)) == {"korean-war"}
    assert UploadBatch.objects.get().archive.name == ""  # the stored archive is gone once ingested
    assert len(stored_files(settings)) == 3 * 4  # originals and derivatives only
    assert client_for(people.outsider).get(f"/api/batches/{body['id']}/").status_code == 404
    assert client_for(people.viewer).get(f"/api/batches/{body['id']}/").status_code == 403


def test_a_heavy_archive_with_a_bad_structure_is_still_refused_in_the_request(people, client_for, settings):
    settings.ZIP_SYNC_MAX_MEMBERS = 0
    local, entries, end = split_zip(make_zip({"scan.png": gray_image_bytes(seed=10)}))
    response = post_zip(client_for(people.curator), people.collection, join_zip(local, entries * 3, end))
    assert response.status_code == 400
    assert not UploadBatch.objects.exists()


def test_a_resumed_batch_skips_the_members_it_already_reported(people, settings):
    """A worker killed mid-batch: the retried job continues where the report stops."""
    from archive.services.zipimport import run_zip_batch

    settings.ZIP_SYNC_MAX_MEMBERS = 0
    data = make_zip({"a.png": gray_image_bytes(seed=11), "b.png": gray_image_bytes(seed=12)})
    from archive.services.zipimport import do_upload_zip

    batch = do_upload_zip(people.curator, people.collection, SimpleUploadedFile("x.zip", data))
    UploadBatch.objects.filter(pk=batch.pk).update(
        status="running",
        processed=1,
        report={
            **batch.report,
            "results": [
                {
                    "name": "a.png",
                    "status": "error",
                    "photo_id": None,
                    "code": "x",
                    "message": "reported before the crash",
                }
            ],
        },
    )
    with jobs_run_now():
        assert run_zip_batch(batch.pk) == "done"
    batch.refresh_from_db()
    assert [r["name"] for r in batch.report["results"]] == ["a.png", "b.png"]
    assert list(Photo.objects.values_list("original_name", flat=True)) == ["b.png"]


def stored_batch(people, member: str, seed: int) -> UploadBatch:
    """The curator's one-photo ZIP, stored as a background batch (settings.ZIP_SYNC_MAX_MEMBERS = 0); its job
    has not run: the test's transaction never commits."""
    from archive.services.zipimport import do_upload_zip

    upload = SimpleUploadedFile(f"{member}.zip", make_zip({member: gray_image_bytes(seed=seed)}))
    return do_upload_zip(people.curator, people.collection, upload)


def test_a_lost_batch_is_re_enqueued_once_by_the_sweep_and_a_live_one_is_left_alone(people, settings):
    """The job of a queued batch was lost (the embedded server restarted before running it)."""
    from datetime import timedelta

    from django.utils import timezone

    from archive.services.zipimport import recover_upload_batches

    settings.ZIP_SYNC_MAX_MEMBERS = 0
    lost = stored_batch(people, "a.png", seed=13)
    live = stored_batch(people, "b.png", seed=14)
    # Neither job ran: the test's transaction never commits. One is silent for long, the other just wrote.
    UploadBatch.objects.filter(pk=lost.pk).update(updated=timezone.now() - timedelta(hours=1))
    UploadBatch.objects.filter(pk=live.pk).update(status="running", updated=timezone.now())
    with jobs_run_now():
        assert recover_upload_batches() == [lost.pk]
    assert recover_upload_batches() == []  # taken once: its heartbeat is fresh again
    lost.refresh_from_db()
    assert lost.status == "done" and lost.report["counts"]["ok"] == 1
    assert UploadBatch.objects.get(pk=live.pk).status == "running"


def test_a_second_copy_is_answered_duplicate_from_its_checksum_without_decoding_it(
    people, client_for, monkeypatch
):
    from archive import imaging

    decoded = []
    real = imaging.inspect_image
    monkeypatch.setattr(imaging, "inspect_image", lambda f, limit: decoded.append(1) or real(f, limit))
    scan = gray_image_bytes(300, 300, fmt="TIFF", seed=15)  # uncompressed: decoding each copy would cost
    response = post_zip(
        client_for(people.curator), people.collection, make_zip({"a.tif": scan, "b.tif": scan, "c.tif": scan})
    )
    assert [r["status"] for r in response.json()["results"]] == ["ok", "duplicate", "duplicate"]
    assert len(decoded) == 1


def test_a_batch_job_delivered_twice_after_it_ended_changes_nothing(people, settings):
    """A broker may deliver a job again after it finished: the ended batch keeps its status and report."""
    from archive.services.zipimport import run_zip_batch

    settings.ZIP_SYNC_MAX_MEMBERS = 0
    batch = stored_batch(people, "a.png", seed=15)
    with jobs_run_now():
        assert run_zip_batch(batch.pk) == "done"
    batch.refresh_from_db()
    report, heartbeat = batch.report, batch.updated
    assert run_zip_batch(batch.pk) == "gone or ended"
    batch.refresh_from_db()
    assert (batch.status, batch.report, batch.updated) == ("done", report, heartbeat)
    assert Photo.objects.filter(collection=people.collection).count() == 1
    UploadBatch.objects.filter(pk=batch.pk).update(status="failed")
    assert run_zip_batch(batch.pk) == "gone or ended"
    assert UploadBatch.objects.get(pk=batch.pk).status == "failed"
    assert run_zip_batch(batch.pk + 1000) == "gone or ended"
