"""OpenAPI 3 at /api/schema/ and Swagger UI at /api/docs/."""

import json
import re

import pytest
import yaml

pytestmark = pytest.mark.django_db

ARCHIVE_PATHS = {
    "/api/auth/token/": {"post"},
    "/api/collections/": {"get", "post"},
    "/api/collections/{id}/": {"get", "patch"},
    "/api/collections/{id}/members/": {"get", "post"},
    "/api/collections/{id}/members/{username}/": {"patch", "delete"},
    "/api/collections/{id}/photos/": {"post"},
    "/api/collections/{id}/photos/zip/": {"post"},
    "/api/photos/": {"get"},
    "/api/photos/{id}/": {"get", "patch"},
    "/api/photos/{id}/original/": {"get"},
    "/api/eras/": {"get"},
    "/api/situations/": {"get"},
}


def test_the_schema_is_valid_openapi_and_lists_the_archive_endpoints(client):
    from openapi_spec_validator import validate

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    for path, methods in ARCHIVE_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))
    photo_filters = {p["name"] for p in schema["paths"]["/api/photos/"]["get"]["parameters"]}
    assert {
        "collection",
        "era",
        "situation",
        "status",
        "date_from",
        "date_to",
        "q",
        "ordering",
        "page",
    } <= photo_filters
    upload = schema["paths"]["/api/collections/{id}/photos/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


def test_the_archive_views_generate_without_warnings_or_errors():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=None)
    generator.get_schema(request=None, public=True)
    from rest_framework.views import APIView

    import accounts.api
    import archive.api

    views = {
        obj.__name__
        for module in (archive.api, accounts.api)
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, APIView) and obj.__module__ == module.__name__
    }
    assert {"PhotoListView", "PhotoUploadView", "TokenView"} <= views
    messages = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    archive_problems = [
        m for m in messages if "archive/" in m or "accounts/" in m or any(f"[{v}" in m for v in views)
    ]
    assert archive_problems == []


def test_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content


def test_the_schema_tells_the_truth_about_nulls_errors_and_required_revisions(client):
    import json

    schema = json.loads(client.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    assert components["Photo"]["properties"]["era"].get("nullable") is True
    assert "revision" in components["PatchedHintEdit"]["required"]
    patch = schema["paths"]["/api/hints/{hint_id}/"]["patch"]["responses"]
    assert {"200", "400", "403", "404", "409"} <= set(patch)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "403", "404"} <= set(operation["responses"]), (method, path)
    error = patch["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}


def test_a_photo_without_era_is_served_with_a_null_era(people, client_for):
    from tests.factories import make_photo

    photo = make_photo(people.collection)
    assert client_for(people.viewer).get(f"/api/photos/{photo.pk}/").json()["era"] is None


def test_bad_input_found_by_fuzzing_gets_a_400_not_a_server_error(people, client_for):
    curator = client_for(people.curator)
    anonymous = client_for(None)
    assert anonymous.get("/api/photos/?collection=1e20").status_code == 400
    assert anonymous.get("/api/photos/?collection=99999999999999999999999").status_code == 400
    assert anonymous.get("/api/photos/99999999999999999999999/").status_code in (400, 404)
    assert anonymous.get("/iiif/photos/99999999999999999999999/manifest.json").status_code in (400, 404)
    assert curator.get("/photos/99999999999999999999999/").status_code in (400, 404)
    for body in ("[]", "[1, 2]", '"text"', "42", "null"):
        for url in ("/api/references/", "/api/photos/1/runs/", f"/api/collections/{people.collection.pk}/"):
            method = curator.patch if url.startswith("/api/collections/") else curator.post
            response = method(url, body, content_type="application/json")
            assert response.status_code in (400, 404), (url, body, response.status_code)
            assert response.json()["error"]["code"]
    surrogate = '{"title": "\\ud800"}'
    response = curator.patch(
        f"/api/collections/{people.collection.pk}/", surrogate, content_type="application/json"
    )
    assert response.status_code == 400
    deep = "[" * 5000 + "]" * 5000
    response = curator.post("/api/references/", deep, content_type="application/json")
    assert response.status_code == 400


def test_the_schema_publishes_the_hint_contract_the_room_sends(client, people):
    """The Hint component is the serializer that renders every hint: its limits and fields are the API's."""
    from colorize.models import Hint
    from colorize.serializers import hint_json
    from colorize.services.hints import do_add_hint
    from tests.factories import make_photo

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    hint = yaml.safe_load(response.content)["components"]["schemas"]["Hint"]["properties"]
    assert hint["radius"]["maximum"] == 0.25
    assert hint["width"]["maximum"] == 0.25
    assert hint["points"]["maxItems"] == 1000
    assert hint["evidence_note"]["maxLength"] == 5000
    photo = make_photo(people.collection)
    do_add_hint(people.curator, photo, {"x": 0.5, "y": 0.5, "color": "#aa3322"})
    sent = hint_json(Hint.objects.get(photo=photo))
    assert set(sent) == set(hint)


def test_runs_and_versions_are_documented_by_the_serializers_that_render_them(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    schemas = yaml.safe_load(response.content)["components"]["schemas"]
    assert {"id", "status", "progress", "version", "version_number"} <= set(schemas["Run"]["properties"])
    assert {"review_state", "latest_review", "published", "model"} <= set(schemas["Version"]["properties"])


def test_an_api_url_no_route_matches_gets_the_api_404_in_json_and_a_page_url_still_gets_the_page(
    client, people
):
    """/api/hints/not-a-number/ never reaches a view (the route wants an integer): Django's 404 handler
    answers it with the body every API view gives for something missing or hidden, in the reader's
    language."""
    for language in ("en", "ko"):
        missing = client.get("/api/hints/999999/", HTTP_ACCEPT_LANGUAGE=language)
        for url in ("/api/hints/not-a-number/", "/api/photos/1.5/runs/", "/api/no-such-thing/"):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 404, url
            assert response["Content-Type"] == "application/json", url
            assert response.json() == missing.json(), url
            assert response.json()["error"]["code"] == "not_found"
    assert missing.json()["error"]["message"] == "찾을 수 없습니다"
    page = client.get("/photos/not-a-number/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_django_s_own_400_403_and_500_are_json_in_the_error_format_under_api_only(rf):
    from django.core.exceptions import PermissionDenied, SuspiciousOperation
    from django.utils import translation

    from config import api

    answers = {
        400: lambda request: api.bad_request(request, SuspiciousOperation()),
        403: lambda request: api.permission_denied(request, PermissionDenied()),
        500: api.server_error,
    }
    for code, answer in answers.items():
        response = answer(rf.get("/api/photos/"))
        assert response.status_code == code
        assert response["Content-Type"] == "application/json"
        body = json.loads(response.content)
        assert set(body["error"]) == {"code", "message", "fields"}
        assert body["error"]["message"]
        with translation.override("ko"):
            korean = json.loads(answer(rf.get("/api/photos/")).content)["error"]
        assert korean["code"] == body["error"]["code"]
        assert re.search(r"[\uac00-\ud7a3]", korean["message"]), korean
        page = answer(rf.get("/photos/1/"))
        assert page.status_code == code
        assert page["Content-Type"].startswith("text/html")


def test_the_schema_documents_the_codes_types_and_shapes_the_views_answer(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    paths, components = schema["paths"], schema["components"]["schemas"]

    def answers(path, method):
        return {
            code: sorted(response.get("content", {}))
            for code, response in paths[path][method]["responses"].items()
        }

    assert "202" in answers("/api/photos/{photo_id}/runs/", "post")
    assert "202" in answers("/api/collections/{collection_id}/runs/", "post")
    assert {"200", "409"} <= set(answers("/api/runs/{run_id}/cancel/", "post"))
    assert {"200", "409"} <= set(answers("/api/photos/{photo_id}/hints/undo/", "post"))
    for decision in ("submit", "approve", "reject"):
        assert {"201", "409"} <= set(answers(f"/api/versions/{{version_id}}/{decision}/", "post"))
    assert answers("/api/photos/{id}/original/", "get")["200"] == ["image/jpeg", "image/png", "image/tiff"]
    for vocabulary in ("/api/eras/", "/api/situations/"):
        listed = paths[vocabulary]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert listed["type"] == "array"
    assert components["Era"]["properties"]["parent"]["nullable"] is True
    for name in ("result", "preview", "uncertainty"):
        url = components["Version"]["properties"][name]
        assert url["nullable"] is True and url["format"] == "uri-reference"
    # Every error answer, documented by a view or added to every operation, is the one Error component.
    for path, operations in paths.items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, (method, path, code)
