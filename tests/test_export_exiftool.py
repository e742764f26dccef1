"""Exports pass `exiftool -validate` (an independent reader of EXIF, XMP, ICC and TIFF structure) without warnings."""

import os
import shutil
import subprocess

import pytest

from colorize.services import review as review_services
from tests.test_export_c2pa import make_test_chain
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

# exiftool 12.57 (Debian 12) predates the C2PA TIFF tag 0xcd41 and calls it unknown (a minor warning);
# newer exiftool versions name it (JUMBF). Only signed TIFFs carry it.
C2PA_TIFF_TAG_WARNING = "[minor] Unknown IFD0 tag 0xcd41"


@pytest.fixture
def exiftool():
    path = shutil.which("exiftool")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI: exiftool is missing (Debian package libimage-exiftool-perl, installed by .ci/run)"
            )
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    return path


@pytest.fixture
def approved(people):
    photo = make_photo(
        people.collection,
        people.curator,
        title="서울역 앞의 피란민",
        description="Refugees in front of Seoul Station.",
        date_display="1950년 12월",
        date_from="1950-12-01",
        date_to="1950-12-31",
        rights="CC BY 4.0",
        creator="Kim",
    )
    add_hint(photo, people.curator, 0.5, 0.5, "#6080c0", verified_by=people.reviewer, evidence_note="외투")
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version, {"comment": "좋습니다"})
    return version


def _exiftool(exiftool, path, *args) -> dict[str, list[str]]:
    out = subprocess.run(
        [exiftool, "-a", "-s", *args, str(path)], capture_output=True, text=True, check=True
    ).stdout
    tags: dict[str, list[str]] = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        tags.setdefault(name.strip(), []).append(value.strip())
    return tags


def _download(client, version, fmt, tmp_path):
    response = client.get(f"/api/versions/{version.pk}/export/?format={fmt}")
    assert response.status_code == 200, response.content
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.content)
    return path


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff"])
def test_every_export_format_validates_without_a_warning(
    people, approved, client_for, exiftool, tmp_path, fmt
):
    path = _download(client_for(people.viewer), approved, fmt, tmp_path)
    tags = _exiftool(exiftool, path, "-validate", "-warning")
    assert tags.get("Warning") is None, tags
    assert tags["Validate"] == ["OK"]


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff"])
def test_exports_carry_an_iso_date_the_display_date_and_an_srgb_profile(
    people, approved, client_for, exiftool, tmp_path, fmt
):
    path = _download(client_for(people.viewer), approved, fmt, tmp_path)
    tags = _exiftool(exiftool, path, "-XMP-dc:Date", "-XMP-photoshop:DateCreated", "-ProfileDescription")
    assert tags["Date"] == ["1950:12"]  # exiftool prints XMP dates with colons
    assert tags["DateCreated"] == ["1950:12"]
    assert tags["ProfileDescription"] == ["sRGB built-in"]
    with open(path, "rb") as handle:
        assert "<fc:DateDisplay>1950년 12월</fc:DateDisplay>".encode() in handle.read()


def test_a_tiff_export_has_the_baseline_tags(people, approved, client_for, exiftool, tmp_path):
    path = _download(client_for(people.viewer), approved, "tiff", tmp_path)
    tags = _exiftool(
        exiftool, path, "-n", "-IFD0:Compression", "-XResolution", "-YResolution", "-ResolutionUnit"
    )
    assert tags["Compression"] == ["5"]  # LZW
    assert tags["XResolution"] == ["72"] and tags["YResolution"] == ["72"] and tags["ResolutionUnit"] == ["2"]


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff"])
def test_signed_exports_also_validate(people, approved, client_for, exiftool, tmp_path, settings, fmt):
    settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY = make_test_chain(tmp_path)
    path = _download(client_for(people.viewer), approved, fmt, tmp_path)
    tags = _exiftool(exiftool, path, "-validate", "-warning")
    allowed = [C2PA_TIFF_TAG_WARNING] if fmt == "tiff" else []
    assert [w for w in tags.get("Warning", []) if w not in allowed] == [], tags
