"""What the API says about itself holds (issue 25, item 6): vocabulary names refuse control characters, and the
slug a vocabulary entry was created with keeps finding it after normalisation."""

import pytest

from archive.models import Situation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["Harbour\tfront", "Harbour\nfront", "Harbour\x00", "Harbour\x1b[31m"])
def test_a_staff_archivist_cannot_name_a_situation_with_control_characters(client_for, name):
    staff = client_for(UserFactory(username="archivist", is_staff=True))
    response = staff.post("/api/situations/", {"name": name}, content_type="application/json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    assert not Situation.objects.filter(name=name).exists()
    created = staff.post("/api/situations/", {"name": "Harbour"}, content_type="application/json")
    assert created.status_code == 201
    renamed = staff.patch(
        f"/api/situations/{created.json()['slug']}/",
        {"name": "Har\u0085bour"},
        content_type="application/json",
    )
    assert renamed.status_code == 400 and Situation.objects.get(slug="harbour").name == "Harbour"


def test_a_staff_archivist_who_created_a_slug_in_capitals_can_rename_it_by_that_slug(client_for):
    staff = client_for(UserFactory(username="archivist", is_staff=True))
    created = staff.post(
        "/api/situations/", {"name": "Old font", "slug": "oF"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["slug"] == "of"
    for slug in ("oF", "of"):
        response = staff.patch(
            f"/api/situations/{slug}/", {"name": f"Old font {slug}"}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert Situation.objects.get(slug="of").name == f"Old font {slug}"
