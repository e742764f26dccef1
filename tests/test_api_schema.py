"""OpenAPI 3 at /api/schema/ and Swagger UI at /api/docs/."""

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
