"""ZIP bulk upload: a per-file report; one bad file never aborts the rest; zip bombs and path tricks refused."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archive.models import Photo
from tests.factories import gray_image_bytes, jobs_run_now
from tests.test_upload import stored_files

# embedded: also run on SQLite by `make test` (the embedded mode's engine; README, "What make test does")
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # verbatim: ZipInfo() would strip a leading "/"
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def post_zip(client, collection, data: bytes, **fields):
    with jobs_run_now():
        return client.post(
            f"/api/collections/{collection.pk}/photos/zip/",
            {"file": SimpleUploadedFile("batch.zip", data), **fields},
        )


def by_name(response) -> dict:
    return {r["name"]: r for r in response.json()["results"]}


def test_it_imports_every_good_file_and_reports_each_bad_one(people, client_for, settings):
    good = gray_image_bytes(fmt="PNG", seed=1)
    data = make_zip(
        {
            "scans/a.png": good,
            "scans/b.tif": gray_image_bytes(fmt="TIFF", mode="I;16", seed=2),
            "scans/copy-of-a.png": good,
            "scans/notes.txt": b"not an image",
            "scans/c.jpg": gray_image_bytes(fmt="JPEG", seed=3),
            "__MACOSX/._a.png": b"resource fork",
        }
    )
    response = post_zip(client_for(people.curator), people.collection, data, era="korean-war")
    assert response.status_code == 200, response.json()
    assert response.json()["counts"] == {"ok": 3, "duplicate": 1, "error": 1, "skipped": 1}
    results = by_name(response)
    assert results["scans/copy-of-a.png"]["status"] == "duplicate"
    assert results["scans/copy-of-a.png"]["photo_id"] == results["scans/a.png"]["photo_id"]
    assert results["scans/notes.txt"]["code"] == "unsupported_format"
    assert Photo.objects.count() == 3
    assert set(Photo.objects.values_list("era__slug", flat=True)) == {"korean-war"}
    assert all(p.derivatives_status == "ready" for p in Photo.objects.all())
    assert len(stored_files(settings)) == 3 * 4  # three originals, three sets of derivatives, nothing else


def test_a_metadata_csv_inside_the_zip_describes_each_file(people, client_for):
    csv_text = (
        "filename,title,date_display,date_from,date_to,era,situations\n"
        'a.png,Market street,c. 1952,1951,1953,korean-war,"street;daily-life"\n'
    )
    data = make_zip({"a.png": gray_image_bytes(seed=4), "metadata.csv": csv_text.encode()})
    response = post_zip(client_for(people.curator), people.collection, data)
    assert response.json()["counts"]["ok"] == 1
    photo = Photo.objects.get()
    assert (photo.title, photo.date_display, photo.era.slug) == ("Market street", "c. 1952", "korean-war")
    assert sorted(photo.situations.values_list("slug", flat=True)) == ["daily-life", "street"]


def test_it_refuses_path_tricks_without_touching_the_file_system(people, client_for, settings, tmp_path):
    data = make_zip({"../../evil.png": gray_image_bytes(seed=5), "/abs.png": gray_image_bytes(seed=6)})
    response = post_zip(client_for(people.curator), people.collection, data)
    results = response.json()["results"]
    assert [r["code"] for r in results] == ["unsafe_path", "unsafe_path"]
    assert Photo.objects.count() == 0
    assert stored_files(settings) == []
    assert not (tmp_path.parent / "evil.png").exists()


def test_it_refuses_a_zip_bomb_member(people, client_for, settings):
    settings.MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    bomb = b"\0" * (8 * 1024 * 1024)  # compresses about 1000:1 and is over the byte limit
    data = make_zip({"bomb.tif": bomb, "ok.png": gray_image_bytes(seed=7)})
    assert len(data) < 100_000
    response = post_zip(client_for(people.curator), people.collection, data)
    results = by_name(response)
    assert results["bomb.tif"]["code"] == "file_too_large"
    assert results["ok.png"]["status"] == "ok"


def test_it_refuses_a_member_with_an_absurd_compression_ratio(people, client_for, settings):
    settings.ZIP_MAX_RATIO = 50
    data = make_zip({"flat.tif": b"\0" * 200_000})
    response = post_zip(client_for(people.curator), people.collection, data)
    assert by_name(response)["flat.tif"]["code"] == "zip_bomb"


def test_a_lying_member_size_cannot_inflate_past_the_limit(people, settings):
    from archive.services.zipimport import do_ingest_zip

    settings.MAX_UPLOAD_BYTES = 1000
    data = make_zip({"big.tif": b"\1" * 50_000})
    # Rewrite the declared sizes (local header and central directory) to claim 10 bytes.
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = patched.find(signature)
        patched[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    report = do_ingest_zip(people.curator, people.collection, io.BytesIO(bytes(patched)))
    assert report.results[0].status == "error"
    assert Photo.objects.count() == 0


def test_it_answers_400_for_something_that_is_not_a_zip(people, client_for, settings):
    response = post_zip(client_for(people.curator), people.collection, gray_image_bytes())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_zip"
    assert stored_files(settings) == []


def test_it_limits_the_number_of_members(people, client_for, settings):
    settings.ZIP_MAX_ENTRIES = 2
    data = make_zip({f"{i}.png": gray_image_bytes(seed=i) for i in range(3)})
    response = post_zip(client_for(people.curator), people.collection, data)
    assert response.status_code == 413
    assert Photo.objects.count() == 0


def test_viewers_may_not_upload_zips(people, client_for):
    response = post_zip(client_for(people.viewer), people.collection, make_zip({"a.png": gray_image_bytes()}))
    assert response.status_code == 403
    assert Photo.objects.count() == 0
