"""OpenAPI post-processing (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): the schema tells what the API does.

- Every operation documents the API's error answers, in the one error format of config/api.py: 400 (invalid
  input, including query parameters), 403 (not signed in, or not allowed; session auth comes first, so never
  401) and 404 (not found, or not visible to you; also a page past the end).
- Hint writes name the hint revision they change and may answer 409 (stale revision): PATCH requires
  `revision`, which drf-spectacular's PATCH variant ("PatchedHintEdit", every field optional) would drop.

- A request body whose code refuses unknown fields says so: a serializer decorated with `@closed` becomes a
  component with `additionalProperties: false` (drf-spectacular passes only `x-` extensions through, so the
  decorator marks it with CLOSED_MARK and `document_errors` turns the mark into the keyword). `closed(...,
  keywords={...})` adds JSON Schema keywords a serializer cannot say (a body whose required fields depend on
  another field's value: `anyOf`), replacing the generated ones of the same name.

Views document their other error answers (401, 409, 413, 503, ...) with ERROR: the same Error component.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer

CLOSED_MARK = "x-unknown-fields-refused"
KEYWORDS_MARK = "x-schema-keywords"


def closed(serializer_class=None, *, keywords: dict | None = None):
    """Document a request serializer whose fields are all the endpoint accepts (unknown fields get a 400);
    `keywords`: JSON Schema keywords for its component (an empty `required` removes the generated one)."""

    def decorate(klass):
        marks = {CLOSED_MARK: True, **({KEYWORDS_MARK: keywords} if keywords else {})}
        return extend_schema_serializer(extensions=marks)(klass)

    return decorate(serializer_class) if serializer_class is not None else decorate


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERRORS = {
    "400": "invalid input (the error's `fields` name what is wrong)",
    "403": "not signed in, or your role does not allow this",
    "404": "no such object, or not visible to you",
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# An error answer in the one format, for a view's `extend_schema(responses={409: ERROR, ...})`.
ERROR = OpenApiResponse(response=ERROR_REF, description='{"error": {"code", "message", "fields"}}')


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for component in result["components"]["schemas"].values():
        if component.pop(CLOSED_MARK, False):
            component["additionalProperties"] = False
        component.update(component.pop(KEYWORDS_MARK, {}))
        if component.get("required") == []:
            del component["required"]
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(code, _error(description))
            if path.startswith("/api/hints/") and method in ("patch", "delete", "post"):
                responses.setdefault("409", _error("stale revision: the hint changed since you read it"))
    patched = result["components"]["schemas"].get("PatchedHintEdit")
    if patched is not None:
        patched["required"] = sorted(set(patched.get("required", [])) | {"revision"})
    return result
