"""What the API says about itself holds (issue 25, item 6): vocabulary names refuse control characters, the
slug a vocabulary entry was created with keeps finding it after normalisation, and the OpenAPI schema describes
the request bodies the code accepts: no field it refuses, closed bodies where unknown fields are refused, and
the limits the code enforces (each checked against the code by sending a value at the limit and one past it)."""

import json

import pytest

from archive.models import Situation
from tests.factories import UserFactory, make_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def archivist(client_for):
    """A staff member: only staff edit the shared vocabularies."""
    return client_for(UserFactory(username="archivist", is_staff=True))


@pytest.fixture
def schema(client):
    return json.loads(client.get("/api/schema/?format=json").content)


def request_schema(schema, path, method):
    """The JSON request body schema of an operation, its component resolved."""
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]


@pytest.mark.parametrize("name", ["Harbour\tfront", "Harbour\nfront", "Harbour\x00", "Harbour\x1b[31m"])
def test_an_archivist_cannot_name_a_situation_with_control_characters(archivist, name):
    reviewer = archivist
    before = Situation.objects.count()  # PostgreSQL cannot even be asked for a name holding NUL
    response = reviewer.post("/api/situations/", {"name": name}, content_type="application/json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    assert Situation.objects.count() == before
    created = reviewer.post("/api/situations/", {"name": "Harbour"}, content_type="application/json")
    assert created.status_code == 201
    renamed = reviewer.patch(
        f"/api/situations/{created.json()['slug']}/",
        {"name": "Har\u0085bour"},
        content_type="application/json",
    )
    assert renamed.status_code == 400 and Situation.objects.get(slug="harbour").name == "Harbour"


def test_an_archivist_who_created_a_slug_in_capitals_can_rename_it_by_that_slug(archivist):
    reviewer = archivist
    created = reviewer.post(
        "/api/situations/", {"name": "Old font", "slug": "oF"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["slug"] == "of"
    for slug in ("oF", "of"):
        response = reviewer.patch(
            f"/api/situations/{slug}/", {"name": f"Old font {slug}"}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert Situation.objects.get(slug="of").name == f"Old font {slug}"


HINTS = "/api/photos/{photo_id}/hints/"
HINT = "/api/hints/{hint_id}/"


def test_a_curator_adding_a_hint_is_not_offered_a_revision_the_api_refuses(people, client_for, schema):
    create = request_schema(schema, HINTS, "post")
    assert "revision" not in create["properties"]
    for shape in create["anyOf"]:
        assert set(shape["required"]) <= set(create["properties"])
    curator = client_for(people.curator)
    photo = make_photo(people.collection)
    url = f"/api/photos/{photo.pk}/hints/"
    refused = curator.post(url, {"x": 0.5, "y": 0.5, "color": "#aa3322", "revision": 1}, "application/json")
    assert refused.status_code == 400 and "revision" in refused.json()["error"]["fields"]
    every_field = {
        "x": 0.5,
        "y": 0.5,
        "color": "#aa3322",
        "shape": "stroke",
        "points": [[0.1, 0.1], [0.2, 0.2]],
        "radius": 0.02,
        "width": 0.02,
        "reach": "region",
        "evidence_note": "painted over in 1962",
        "evidence_note_lang": "en",
        "evidence_source": "the station master's diary",
        "evidence_url": "https://example.org/diary",
        "request_id": "every-field",
    }
    assert set(every_field) == set(create["properties"])  # the schema lists what the code takes, no more
    assert curator.post(url, every_field, "application/json").status_code == 201, "every documented field"


def test_every_documented_way_to_add_a_hint_is_taken_and_a_stroke_without_its_line_is_not(
    people, client_for, schema
):
    """The fields a new hint needs depend on its shape: the schema's anyOf branches say which."""
    from openapi_schema_validator import OAS30Validator

    shapes = request_schema(schema, HINTS, "post")["anyOf"]
    assert len(shapes) >= 3
    curator = client_for(people.curator)
    photo = make_photo(people.collection)
    values = {"x": 0.5, "y": 0.5, "color": "#aa3322", "points": [[0.1, 0.1], [0.2, 0.2]]}
    validator = OAS30Validator({**request_schema(schema, HINTS, "post"), "components": schema["components"]})
    for branch in shapes:
        body = {name: values[name] for name in branch["required"] if name != "shape"}
        if "shape" in branch["required"]:
            body["shape"] = branch["properties"]["shape"]["enum"][0]
        assert validator.is_valid(body), body
        response = curator.post(f"/api/photos/{photo.pk}/hints/", body, "application/json")
        assert response.status_code == 201, (branch, response.content)
    one_point = {"color": "#aa3322", "points": [[0.1, 0.1]]}
    for body in ({"shape": "stroke", "color": "#aa3322"}, one_point, {**one_point, "x": 0.5, "y": 0.5}):
        assert not validator.is_valid(body), body  # the schema refuses what the API refuses
        refused = curator.post(f"/api/photos/{photo.pk}/hints/", body, "application/json")
        assert refused.status_code == 400 and "points" in refused.json()["error"]["fields"], body


@pytest.mark.parametrize(("path", "method"), [(HINTS, "post"), (HINT, "patch")])
def test_an_unknown_field_is_refused_and_the_hint_schemas_say_so(people, client_for, schema, path, method):
    assert request_schema(schema, path, method)["additionalProperties"] is False
    curator = client_for(people.curator)
    photo = make_photo(people.collection)
    url = f"/api/photos/{photo.pk}/hints/"
    created = curator.post(url, {"x": 0.5, "y": 0.5, "color": "#aa3322"}, "application/json").json()["hint"]
    if method == "post":
        response = curator.post(
            url, {"x": 0.5, "y": 0.5, "color": "#aa3322", "colour": "red"}, "application/json"
        )
    else:
        response = curator.patch(
            f"/api/hints/{created['id']}/", {"revision": 1, "colour": "red"}, "application/json"
        )
    assert response.status_code == 400 and "colour" in response.json()["error"]["fields"]


def test_a_curator_editing_a_photo_finds_its_metadata_body_closed(people, client_for, schema):
    assert request_schema(schema, "/api/photos/{id}/", "patch")["additionalProperties"] is False
    upload = schema["paths"]["/api/collections/{id}/photos/"]["post"]["requestBody"]["content"]
    upload_ref = upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][upload_ref]["additionalProperties"] is False
    photo = make_photo(people.collection)
    response = client_for(people.curator).patch(
        f"/api/photos/{photo.pk}/", {"title": "Harbour", "colour": "red"}, "application/json"
    )
    assert response.status_code == 400 and "colour" in response.json()["error"]["fields"]


def test_a_curator_s_batch_edit_is_documented_with_the_fields_and_counts_it_takes(people, client_for, schema):
    batch = request_schema(schema, "/api/collections/{id}/photos/metadata/", "post")
    changes = schema["components"]["schemas"][
        batch["properties"]["changes"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    ]
    assert changes["additionalProperties"] is False and "title" not in changes["properties"]
    curator = client_for(people.curator)
    photo = make_photo(people.collection)
    url = f"/api/collections/{people.collection.pk}/photos/metadata/"

    def send(photos, changes):
        return curator.post(url, {"photos": photos, "changes": changes}, "application/json")

    assert send([photo.pk], {"place": "Busan"}).status_code == 200
    for field in ("title", "colour"):  # a field photo by photo only, and no field at all
        refused = send([photo.pk], {"place": "Busan", field: "x"})
        assert refused.status_code == 400 and field in refused.json()["error"]["fields"]
    photos = batch["properties"]["photos"]
    assert photos["minItems"] == 1
    assert send([], {"place": "Busan"}).status_code == 400
    too_many = send([photo.pk] * (photos["maxItems"] + 1), {"place": "Busan"})
    assert too_many.status_code == 400 and "photos" in too_many.json()["error"]["fields"]
    assert send([photo.pk] * photos["maxItems"], {"place": "Seoul"}).status_code == 200


def _add(curator, photo, **fields):
    body = {"x": 0.5, "y": 0.5, "color": "#aa3322", **fields}
    return curator.post(f"/api/photos/{photo.pk}/hints/", body, "application/json")


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("evidence_note", lambda n: "a" * n),
        ("evidence_source", lambda n: "a" * n),
        ("evidence_url", lambda n: "https://example.org/" + "a" * (n - len("https://example.org/"))),
        ("request_id", lambda n: "r" * n),
    ],
)
def test_a_hint_text_at_its_documented_max_length_is_taken_and_one_longer_is_refused(
    people, client_for, schema, field, make
):
    limit = request_schema(schema, HINTS, "post")["properties"][field]
    limit = limit.get("maxLength") or max(option.get("maxLength", 0) for option in limit.get("oneOf", []))
    curator = client_for(people.curator)
    photo = make_photo(people.collection)
    assert _add(curator, photo, **{field: make(limit)}).status_code == 201
    refused = _add(curator, photo, **{field: make(limit + 1)})
    assert refused.status_code == 400 and field in refused.json()["error"]["fields"]


def test_a_hint_s_documented_number_ranges_and_point_count_are_the_ones_enforced(people, client_for, schema):
    properties = request_schema(schema, HINTS, "post")["properties"]
    curator = client_for(people.curator)
    photo = make_photo(people.collection)
    for field in ("x", "y"):
        low, high = properties[field]["minimum"], properties[field]["maximum"]
        assert (low, high) == (0, 1)
        assert _add(curator, photo, **{field: low}).status_code == 201
        assert _add(curator, photo, **{field: high}).status_code == 201
        assert _add(curator, photo, **{field: high + 0.001}).status_code == 400
        assert _add(curator, photo, **{field: low - 0.001}).status_code == 400
    for field in ("radius", "width"):
        documented = properties[field]
        assert documented["minimum"] == 0 and documented["exclusiveMinimum"] is True
        assert _add(curator, photo, **{field: documented["maximum"]}).status_code == 201
        assert _add(curator, photo, **{field: documented["maximum"] * 1.01}).status_code == 400
        assert _add(curator, photo, **{field: 0}).status_code == 400
    most = properties["points"]["maxItems"]
    line = [[i / most, i / most] for i in range(most)]
    assert _add(curator, photo, shape="stroke", points=line).status_code == 201
    refused = _add(curator, photo, shape="stroke", points=[*line, [1.0, 1.0]])
    assert refused.status_code == 400 and "points" in refused.json()["error"]["fields"]


def test_an_archivist_naming_a_situation_meets_the_documented_name_length(archivist, schema):
    documented = schema["components"]["schemas"]["Situation"]["properties"]["name"]["maxLength"]
    assert (
        archivist.post("/api/situations/", {"name": "h" * documented}, "application/json").status_code == 201
    )
    refused = archivist.post("/api/situations/", {"name": "k" * (documented + 1)}, "application/json")
    assert refused.status_code == 400 and "name" in refused.json()["error"]["fields"]


SERVER_SETUP = """
from rest_framework.authtoken.models import Token
from accounts.models import Role
from tests.factories import CollectionFactory, UserFactory, add_member
owner = UserFactory(username="owner")
collection = CollectionFactory(owner=owner)
curator = UserFactory(username="curator")
add_member(collection, curator, Role.CURATOR)
print(json.dumps({"collection": collection.pk, "curator": Token.objects.create(user=curator).key}))
"""


@pytest.fixture(scope="module")
def daphne(tmp_path_factory):
    """A real daphne (tests/stack.py) on a SQLite file: what answers a client is Twisted, then Django."""
    import subprocess
    import sys

    from tests.stack import ROOT, Stack

    tmp = tmp_path_factory.mktemp("schema-daphne")
    server = Stack(tmp, DATABASE_URL="", REDIS_URL="", JOB_BACKEND="inprocess", SECRET_KEY="schema-truths")
    (tmp / "var").mkdir()  # FINDCOLOR_VAR_DIR: the SQLite file
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=server.env, check=True)
    world = server.django(SERVER_SETUP)
    server.start_web()
    try:
        yield server, world
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("body", [b"--X--\r\n", b"--X--"])
def test_a_curator_uploading_only_a_closing_boundary_gets_the_api_s_json_error_from_daphne(daphne, body):
    """Twisted parsed multipart bodies itself and answered this one with a bare 400 and no body."""
    import http.client

    server, world = daphne
    connection = http.client.HTTPConnection("127.0.0.1", server.web_port, timeout=30)
    connection.request(
        "POST",
        f"/api/collections/{world['collection']}/photos/",
        body=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=X",
            "Authorization": f"Token {world['curator']}",
        },
    )
    response = connection.getresponse()
    assert response.status == 400
    assert response.getheader("Content-Type") == "application/json"
    error = json.loads(response.read())["error"]
    assert error["code"] == "invalid" and "file" in error["fields"]
    connection.close()
    upload = server.upload(world["collection"], world["curator"], _png(len(body)), "harbour.png")
    assert upload.status_code == 201, upload.text  # a well-formed upload still goes through daphne


def _png(shade: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (40, 30), shade).save(buffer, "PNG")
    return buffer.getvalue()
