"""The import_photos management command: batch import with CSV metadata and a per-file report."""

import io

import pytest
from django.core.management import CommandError, call_command

from archive.models import Photo
from tests.factories import gray_image_bytes, jobs_run_now

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with jobs_run_now():
        try:
            call_command("import_photos", *args, stdout=out, stderr=err)
            error = None
        except CommandError as exc:
            error = exc
    return out.getvalue(), err.getvalue(), error


@pytest.fixture
def scans(tmp_path):
    folder = tmp_path / "scans"
    (folder / "box1").mkdir(parents=True)
    (folder / "box1" / "a.tif").write_bytes(gray_image_bytes(fmt="TIFF", seed=1))
    (folder / "box1" / "b.jpg").write_bytes(gray_image_bytes(fmt="JPEG", seed=2))
    (folder / "c.png").write_bytes(gray_image_bytes(fmt="PNG", seed=3))
    (folder / ".DS_Store").write_bytes(b"junk")
    return folder


def test_it_imports_a_folder_with_csv_metadata_and_reports_each_file(people, scans, tmp_path):
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text(
        "filename,title,creator,date_display,date_from,date_to,place,identifier,era,situations\n"
        "box1/a.tif,Refugees crossing,Unknown,1951,1951-01-01,1951-12-31,Han river,KW-001,korean-war,war;rural\n"
        "c.png,Ceremony,,c. 1946,1946,1946,Seoul,LB-002,liberation,ceremony\n"
        "missing.png,Nobody,,,,,,,,\n",
        encoding="utf-8",
    )
    out, err, error = run(str(scans), "--collection", str(people.collection.pk), "--metadata", str(csv_path))
    assert error is None, out
    assert Photo.objects.count() == 3
    a = Photo.objects.get(original_name="a.tif")
    assert (a.title, a.place, a.identifier, a.era.slug) == (
        "Refugees crossing",
        "Han river",
        "KW-001",
        "korean-war",
    )
    assert sorted(a.situations.values_list("slug", flat=True)) == ["rural", "war"]
    assert a.uploaded_by == people.owner
    assert a.derivatives_status == "ready"
    assert Photo.objects.get(original_name="b.jpg").title == "b"  # no row: the file name without extension
    assert "ok        box1/a.tif" in out
    assert "metadata row for missing.png matched no file" in out
    assert "3 files: 3 imported, 0 duplicates, 0 errors" in out
    assert "importing" in err  # the progress bar


def test_a_second_run_reports_duplicates_and_a_bad_file_does_not_stop_the_rest(people, scans):
    (scans / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out, err, error = run(str(scans), "--collection", str(people.collection.pk), "--user", "curator")
    assert Photo.objects.count() == 3
    assert "error     broken.png  corrupt_image" in out or "error     broken.png  unsupported_format" in out
    assert isinstance(error, CommandError)
    out, err, error = run(str(scans), "--collection", str(people.collection.pk), "--no-progress")
    assert "4 files: 0 imported, 3 duplicates, 1 errors" in out
    assert Photo.objects.count() == 3


def test_it_refuses_users_who_may_not_upload(people, scans):
    out, err, error = run(str(scans), "--collection", str(people.collection.pk), "--user", "viewer")
    assert "may not upload" in str(error)
    assert Photo.objects.count() == 0


def test_it_refuses_a_csv_with_unknown_columns(people, scans, tmp_path):
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text("filename,colour\nc.png,red\n", encoding="utf-8")
    out, err, error = run(str(scans), "--collection", str(people.collection.pk), "--metadata", str(csv_path))
    assert "unknown column(s) colour" in str(error)
    assert Photo.objects.count() == 0


def test_bad_metadata_for_one_file_is_reported_for_that_file(people, scans, tmp_path):
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text("filename,era\nc.png,stone-age\n", encoding="utf-8")
    out, err, error = run(str(scans), "--collection", str(people.collection.pk), "--metadata", str(csv_path))
    assert "error     c.png  invalid: era: unknown era 'stone-age'" in out
    assert Photo.objects.count() == 2


def test_it_refuses_an_unknown_collection(db, scans):
    out, err, error = run(str(scans), "--collection", "999")
    assert "no collection with id 999" in str(error)
