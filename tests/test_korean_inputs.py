"""Korean text in every input path (issue 11): ZIP member names in UTF-8 or CP949, metadata CSVs from Korean
Excel (CP949) or in UTF-8 with or without BOM, the encodings reported, undecodable files answered 400."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.models import Photo
from tests.factories import gray_image_bytes, jobs_run_now
from tests.test_upload_zip import by_name, post_zip

pytestmark = pytest.mark.django_db

BUSAN = "부산항_1951.png"
SEOUL = "서울역 광장.jpg"


def zip_with_raw_names(members: dict[bytes, bytes]) -> bytes:
    """A ZIP whose names are the given bytes, as Korean Windows writes them: no UTF-8 flag (zipfile cannot
    write that itself, so each name is written as an ASCII placeholder of the same length, then replaced)."""
    buffer = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (raw, data) in enumerate(members.items()):
            if raw.isascii():
                archive.writestr(raw.decode(), data)
                continue
            placeholder = (chr(ord("A") + index) * len(raw)).encode()
            placeholders[placeholder] = raw
            archive.writestr(placeholder.decode(), data)
    data = buffer.getvalue()
    for placeholder, raw in placeholders.items():
        assert data.count(placeholder) == 2  # the local header and the central directory
        data = data.replace(placeholder, raw)
    return data


def cp949_csv(rows: str) -> bytes:
    return rows.encode("cp949")


def test_a_zip_from_korean_windows_keeps_its_cp949_names_and_matches_its_cp949_csv(people, client_for):
    csv = cp949_csv(f"filename,title,place\n{BUSAN},부산항의 피란민,부산\n")
    data = zip_with_raw_names(
        {
            BUSAN.encode("cp949"): gray_image_bytes(seed=1),
            SEOUL.encode("cp949"): gray_image_bytes(fmt="JPEG", seed=2),
            b"metadata.csv": csv,
        }
    )
    response = post_zip(client_for(people.curator), people.collection, data)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name_encoding"] == "cp949" and body["metadata_encoding"] == "cp949"
    assert by_name(response)[BUSAN]["status"] == "ok"
    busan = Photo.objects.get(original_name=BUSAN)
    assert (busan.title, busan.place) == ("부산항의 피란민", "부산")
    assert Photo.objects.get(original_name=SEOUL).title == "서울역 광장"  # no row: the name without extension


def test_utf8_flagged_names_and_a_bom_csv_are_read_as_utf8(people, client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"1951/{BUSAN}", gray_image_bytes(seed=3))
        archive.writestr("metadata.csv", f"filename,title\n{BUSAN},부산항\n".encode("utf-8-sig"))
    assert zipfile.ZipFile(io.BytesIO(buffer.getvalue())).getinfo(f"1951/{BUSAN}").flag_bits & 0x800
    response = post_zip(client_for(people.curator), people.collection, buffer.getvalue())
    assert response.json()["name_encoding"] == "utf-8"
    assert response.json()["metadata_encoding"] == "utf-8 (BOM)"
    assert Photo.objects.get().title == "부산항"


def test_utf8_names_without_the_flag_are_still_read_as_utf8(people, client_for):
    data = zip_with_raw_names({BUSAN.encode("utf-8"): gray_image_bytes(seed=4)})
    response = post_zip(client_for(people.curator), people.collection, data)
    assert response.json()["name_encoding"] == "utf-8"
    assert Photo.objects.get().original_name == BUSAN


def test_names_decomposed_by_macos_still_match_their_csv_row(people, client_for):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", BUSAN)
    assert decomposed != BUSAN
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(decomposed, gray_image_bytes(seed=5))
        archive.writestr("metadata.csv", f"filename,title\n{BUSAN},부산항\n".encode())
    post_zip(client_for(people.curator), people.collection, buffer.getvalue())
    photo = Photo.objects.get()
    assert (photo.original_name, photo.title) == (BUSAN, "부산항")


def test_an_undecodable_csv_is_a_400_in_the_api_error_format_not_a_500(people, client_for, settings):
    data = zip_with_raw_names(
        {b"a.png": gray_image_bytes(seed=6), b"metadata.csv": b"filename,title\na.png,\xff\xfe\x80\x80\n"}
    )
    response = post_zip(client_for(people.curator), people.collection, data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (
        error["code"] == "metadata_encoding" and "UTF-8" in error["message"] and "CP949" in error["message"]
    )
    assert "metadata" in error["fields"]
    assert Photo.objects.count() == 0


def test_an_euc_kr_csv_with_a_utf8_zip_is_read_and_reported(people, client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(BUSAN, gray_image_bytes(seed=7))
        archive.writestr(
            "metadata.csv", f"filename,title,era\n{BUSAN},피란 수도,korean-war\n".encode("euc-kr")
        )
    response = post_zip(client_for(people.curator), people.collection, buffer.getvalue())
    assert response.json()["metadata_encoding"] == "cp949"  # CP949 is a superset of EUC-KR
    assert Photo.objects.get().era.slug == "korean-war"


def test_a_single_upload_gets_its_file_name_without_extension_as_title(people, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    curator = client_for(people.curator)
    response = curator.post(
        f"/api/collections/{people.collection.pk}/photos/",
        {"file": SimpleUploadedFile(SEOUL, gray_image_bytes(fmt="JPEG", seed=8))},
    )
    assert response.json()["title"] == "서울역 광장"
    titled = curator.post(
        f"/api/collections/{people.collection.pk}/photos/",
        {"file": SimpleUploadedFile("x.png", gray_image_bytes(seed=9)), "title": "정해진 제목"},
    )
    assert titled.json()["title"] == "정해진 제목"


# ----------------------------------------------------------------------------------- import_photos --metadata


def run_import(folder, collection, csv_path):
    out = io.StringIO()
    with jobs_run_now():
        call_command(
            "import_photos",
            str(folder),
            "--collection",
            str(collection.pk),
            "--metadata",
            str(csv_path),
            "--no-progress",
            stdout=out,
            stderr=io.StringIO(),
        )
    return out.getvalue()


@pytest.mark.parametrize(
    "encoding,reported",
    [("cp949", "cp949"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8 (BOM)"), ("euc-kr", "cp949")],
)
def test_import_photos_reads_a_korean_csv_in_each_encoding(people, tmp_path, encoding, reported):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / BUSAN).write_bytes(gray_image_bytes(seed=10))
    csv_path = tmp_path / "meta.csv"
    csv_path.write_bytes(f"filename,title,place\n{BUSAN},부산항의 피란민,부산\n".encode(encoding))
    out = run_import(folder, people.collection, csv_path)
    assert f"read as {reported}" in out
    photo = Photo.objects.get()
    assert (photo.original_name, photo.title, photo.place) == (BUSAN, "부산항의 피란민", "부산")


def test_import_photos_refuses_an_undecodable_csv_with_a_clear_message(people, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.png").write_bytes(gray_image_bytes(seed=11))
    csv_path = tmp_path / "meta.csv"
    csv_path.write_bytes(b"filename,title\na.png,\xff\xfe\x80\x80\n")
    with pytest.raises(CommandError, match="neither UTF-8 nor CP949"):
        run_import(folder, people.collection, csv_path)
    assert Photo.objects.count() == 0
