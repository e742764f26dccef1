"""Schema fuzzing: schemathesis sends what /api/schema/ allows (positive cases, on the real ids of a small
world) and what it refuses (negative cases) to a live server, as a curator with a token; no request may end in a
server error. Bounded: a fixed, derandomized number of examples per operation (about 2-3 minutes on one core)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from tests.test_run_support import COLORIZER_PATH

POSITIVE_EXAMPLES = 4
NEGATIVE_EXAMPLES = 2


def _openapi() -> dict:
    """The document /api/schema/ serves, generated in-process (JSON-safe: dates and decimals as strings)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture
def fuzz_world(transactional_db, people, settings):
    """A public collection with a photo, a hint and a version; the curator's token."""
    from rest_framework.authtoken.models import Token

    from tests.test_run_support import add_hint, make_photo, run_now

    settings.COLORIZER = COLORIZER_PATH
    settings.ROOM_PREVIEW_BACKEND = "off"
    people.collection.visibility = "public"
    people.collection.save()
    people.photo = make_photo(people.collection, people.curator)
    people.hint = add_hint(people.photo, people.curator, 0.5, 0.5, "#6080c0")
    people.run = run_now(people.curator, people.photo)
    people.token = Token.objects.create(user=people.curator).key
    return people


def _real_ids(world, path: str) -> dict:
    ids = {
        "collection_id": world.collection.pk,
        "photo_id": world.photo.pk,
        "hint_id": world.hint.pk,
        "run_id": world.run.pk,
        "version_id": world.run.version.pk,
        "username": "viewer",
        "id": world.collection.pk if path.startswith("/api/collections/") else world.photo.pk,
    }
    return {name: value for name, value in ids.items() if "{" + name + "}" in path}


@pytest.mark.slow
def test_no_request_the_schema_allows_or_refuses_gets_a_server_error(fuzz_world, live_server):
    headers = {"Authorization": f"Token {fuzz_world.token}"}
    server_errors, calls = [], []

    def fuzz_with(strategy, examples):
        @given(case=strategy)
        @settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            response = case.call(base_url=live_server.url, headers=headers, timeout=120)
            calls.append(response.status_code)
            if response.status_code >= 500:
                server_errors.append(
                    f"{response.status_code} from {case.as_curl_command(headers, verify=False)}"
                )

        try:
            fuzz()
        except (
            Unsatisfiable
        ):  # nothing to break: an operation without parameters or body has no negative case
            pass

    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = _real_ids(fuzz_world, operation.path)
        fuzz_with(operation.as_strategy(path_parameters=path_parameters), POSITIVE_EXAMPLES)
        fuzz_with(operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE_EXAMPLES)
    assert len(calls) > 150
    assert server_errors == []
    assert any(code < 300 for code in calls)
