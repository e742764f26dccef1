"""Local media files obey the same permissions as the API: outsiders cannot fetch a private original."""

import io

import pytest

from archive.services.ingest import do_ingest_photo
from tests.factories import gray_image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(people):
    data = gray_image_bytes(40, 30)
    return do_ingest_photo(people.curator, people.collection, io.BytesIO(data), "street.png", {}), data


def test_it_serves_the_original_byte_for_byte_to_members(photo, people, client_for):
    record, data = photo
    response = client_for(people.viewer).get(f"/media/{record.original.name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data


def test_it_hides_private_files_from_outsiders_and_anonymous(photo, people, client_for):
    record, _ = photo
    for user in (people.outsider, None):
        assert client_for(user).get(f"/media/{record.original.name}").status_code == 404
        assert client_for(user).get(f"/media/{record.thumbnail.name}").status_code == 404


def test_it_refuses_paths_that_name_no_owner(people, client_for):
    assert client_for(people.owner).get("/media/elsewhere/1/x.png").status_code == 404
    assert client_for(people.owner).get("/media/originals/../../etc/passwd").status_code == 404
