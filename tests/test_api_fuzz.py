"""Schema fuzzing: schemathesis sends what /api/schema/ allows (positive cases, on the real ids of a small
world) and what it refuses (negative cases) to a live server, as a curator with a token. No request may end in
a server error, and every answer must be one the schema documents: its status code, its content type, and a
body valid against that response's schema. Bounded: a fixed, derandomized number of examples per operation
(about 1-3 minutes on one core)."""

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.modes import GenerationMode

from tests.test_run_support import COLORIZER_PATH

POSITIVE_EXAMPLES = 4
NEGATIVE_EXAMPLES = 2
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


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


def _mismatches(case, response) -> list[str]:
    """What in the answer the schema does not document, one line per failed check (none: it conforms)."""
    try:
        case.validate_response(response, checks=CONFORMANCE)
    except BaseExceptionGroup as group:  # schemathesis groups every failed check of the response
        failures = group.exceptions
    else:
        return []
    return [
        f"{case.method} {case.path} -> {response.status_code}: " + " ".join(str(f).split())[:300]
        for f in failures
    ]


@pytest.mark.slow
def test_every_answer_to_what_the_schema_allows_or_refuses_is_documented_and_never_a_server_error(
    fuzz_world, live_server
):
    headers = {"Authorization": f"Token {fuzz_world.token}"}
    server_errors, calls, mismatches = [], [], []

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
            mismatches.extend(_mismatches(case, response))

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
    counts = f"{len(calls)} calls {sorted(Counter(calls).items())}, {len(mismatches)} undocumented answers"
    print(counts)
    assert len(calls) > 150, counts
    assert server_errors == [], counts
    assert not mismatches, "\n".join([counts, *sorted(set(mismatches))])
    assert any(code < 300 for code in calls), counts
