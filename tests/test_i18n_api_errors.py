"""API error messages in the reader's language: every message a service or view raises, and every error frame
of the photo room, goes through gettext (checked on the source), and a Korean client reads Korean with the same
machine code an English one gets."""

import ast
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from colorize.services import review as review_services
from tests.factories import gray_image_bytes, jobs_run_now, make_photo
from tests.test_run_support import make_photo as ingest_photo
from tests.test_run_support import run_now

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("colorize", "archive", "accounts", "config")
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
# Helpers that compose a message from field messages already translated ("field: message; other: message").
COMPOSERS = {"fields_message"}
# The photo room's error frames (colorize/consumers.py): FrameError(code, message, fields) and
# send_error(request_id, code, message, fields); the position of the message, its fields follow it.
FRAME_ERRORS = {"FrameError": 1, "send_error": 2}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts or path.name.startswith("test"):
                continue
            yield path


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _gettext(node) -> bool:
    """`_("...")`, `gettext("...")`, ..., or a choice between such calls."""
    if isinstance(node, ast.IfExp):
        return _gettext(node.body) and _gettext(node.orelse)
    return isinstance(node, ast.Call) and _name(node.func) in GETTEXT


def _translated(node) -> bool:
    """A message that reaches the reader in their language: a gettext call (maybe `% {...}`), a variable or
    attribute passed through (`str(exc)` too), a composition of translated field messages, or a choice between
    such (`a if c else b`, `str(exc) or _("...")`)."""
    if isinstance(node, ast.Call) and _name(node.func) == "str" and len(node.args) == 1:
        return isinstance(node.args[0], ast.Name | ast.Attribute | ast.Subscript)
    if isinstance(node, ast.Call):
        return _name(node.func) in GETTEXT | COMPOSERS
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _gettext(node.left)
    if isinstance(node, ast.IfExp):
        return _translated(node.body) and _translated(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(_translated(value) for value in node.values)
    return isinstance(node, ast.Name | ast.Attribute | ast.Subscript)


def _field_messages(node) -> list:
    """The messages of a `fields` / `_invalid` mapping written in place: {name: message or [messages]}."""
    if isinstance(node, ast.Dict):
        values = node.values
    elif isinstance(node, ast.DictComp):
        values = [node.value]
    else:
        return []  # a variable: its messages are checked where they are written
    messages = []
    for value in values:
        messages += value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
    return messages


def _service_error_classes(trees) -> set[str]:
    classes = {"ServiceError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in classes:
                    if any(_name(base) in classes for base in node.bases):
                        classes.add(node.name)
                        grew = True
    return classes


def _message_arguments(call: ast.Call, kind: str) -> list:
    """The human-readable arguments of a ServiceError(code, message, fields=...), an _invalid call, or a room
    error frame (FrameError / send_error, whose fields may be positional)."""
    keywords = {k.arg: k.value for k in call.keywords}
    if kind == "invalid":
        # _invalid(field, message) in runs; _invalid({field: message}) in archive
        if len(call.args) >= 2:
            return [call.args[1]]
        return _field_messages(call.args[0]) if call.args else []
    at = FRAME_ERRORS.get(kind, 1)
    messages = call.args[at : at + 1]
    if "message" in keywords:
        messages.append(keywords["message"])
    if len(call.args) > at + 1:
        messages += _field_messages(call.args[at + 1])
    if "fields" in keywords:
        messages += _field_messages(keywords["fields"])
    return messages


def _messages(tree, subclasses: set[str]) -> list:
    """The human-readable messages of one module's errors: ServiceError(...) and its subclasses' __init__,
    _invalid(...), the room's FrameError(...) and send_error(...), and the field messages written into an
    `errors` mapping (`errors[key] = [message]`)."""
    calls = []  # (call, kind)
    messages = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "ServiceError":
            calls.append((node, "error"))
        elif isinstance(node, ast.Call) and _name(node.func) in ("_invalid", "invalid"):
            calls.append((node, "invalid"))
        elif isinstance(node, ast.Call) and _name(node.func) in FRAME_ERRORS:
            calls.append((node, _name(node.func)))
        elif isinstance(node, ast.ClassDef) and node.name in subclasses:
            calls += [
                (call, "error")
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
                and _name(call.func) == "__init__"
                and isinstance(call.func.value, ast.Call)
                and _name(call.func.value.func) == "super"
            ]
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Subscript) and _name(target.value) == "errors" for target in node.targets
        ):
            messages += _field_messages(ast.Dict(keys=[None], values=[node.value]))
    for call, kind in calls:
        messages += _message_arguments(call, kind)
    return sorted(messages, key=lambda message: (message.lineno, message.col_offset))


def untranslated_messages() -> list[str]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in _modules()}
    subclasses = _service_error_classes(trees) - {"ServiceError"}
    found = []
    for path, tree in trees.items():
        for message in _messages(tree, subclasses):
            if not _translated(message):
                where = f"{path.relative_to(ROOT)}:{message.lineno}"
                found.append(f"{where}: {ast.unparse(message)[:100]}")
    return found


def test_every_api_error_message_in_the_code_goes_through_gettext():
    found = sorted(untranslated_messages())
    assert not found, f"{len(found)} messages written in English in place:\n" + "\n".join(found)


def test_the_source_check_finds_english_written_in_place():
    code = """
raise ServiceError("invalid_state", f"the version is already {state}", status_code=409)
raise ServiceError("x", "plain English", fields={"f": ["also English"]})
raise _invalid("options", "must be an object")
raise _invalid({"photos": f"a list of 1 to {LIMIT} photo ids"})
raise ServiceError("ok", _("the version is already %(state)s") % {"state": state}, fields={"f": [_("ok")]})
raise ServiceError("ok", exc.message, fields=errors)
raise FrameError("invalid", f"{kind} needs a request_id", {"request_id": ["required"]})
raise FrameError("ok", _("%(kind)s needs a request_id") % {"kind": kind}, {"request_id": [_("required")]})
errors[key] = ["must be a number in [0, 1]"]
errors[key] = [_("must be in %(interval)s") % {"interval": "[0, 1]"}]
await self.send_error(request_id, "internal", f"the server failed: {type(exc).__name__}")
await self.send_error(request_id, "forbidden", str(exc) or "your role does not allow this")
await self.send_error(request_id, exc.code, exc.message, exc.fields, hint=exc.current)
await self.send_error(None, "ok", str(exc) or _("your role does not allow this"), {"k": [_("1 to 32")]})
"""
    bad = [ast.unparse(message) for message in _messages(ast.parse(code), set()) if not _translated(message)]
    assert bad == [
        "f'the version is already {state}'",
        "'plain English'",
        "'also English'",
        "'must be an object'",
        "f'a list of 1 to {LIMIT} photo ids'",
        "f'{kind} needs a request_id'",
        "'required'",
        "'must be a number in [0, 1]'",
        "f'the server failed: {type(exc).__name__}'",
        "str(exc) or 'your role does not allow this'",
    ]


# ---------------------------------------------------------------------------------------------------------
# What a client reads: one request per module, asked in Korean and in English. Each case sets the scene and
# returns ask(lang) -> response; asking changes nothing, so both languages meet the same error.


def _version_submitted_twice(people, client_for):
    """A curator submits a version that already waits for review (colorize: review)."""
    version = run_now(people.curator, ingest_photo(people.collection, people.curator)).version
    review_services.do_submit(people.curator, version)
    curator = client_for(people.curator)
    return lambda lang: curator.post(
        f"/api/versions/{version.pk}/submit/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
    )


def _render_with_an_unknown_hints_mode(people, client_for):
    """A curator asks for a render with a hints mode that does not exist (colorize: runs)."""
    photo = make_photo(people.collection)
    curator = client_for(people.curator)
    return lambda lang: curator.post(
        f"/api/photos/{photo.pk}/runs/",
        {"hints": "some"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _member_nobody_knows(people, client_for):
    """An owner adds a member by an address no account has (archive: collections)."""
    owner = client_for(people.owner)
    return lambda lang: owner.post(
        f"/api/collections/{people.collection.pk}/members/",
        {"username": "nobody@example.org", "role": "viewer"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _zip_that_is_a_png(people, client_for):
    """A curator uploads a PNG as the ZIP of a batch (archive: ZIP upload)."""
    curator = client_for(people.curator)

    def ask(lang):
        with jobs_run_now():
            return curator.post(
                f"/api/collections/{people.collection.pk}/photos/zip/",
                {"file": SimpleUploadedFile("batch.zip", gray_image_bytes())},
                HTTP_ACCEPT_LANGUAGE=lang,
            )

    return ask


def _hint_with_a_colour_name(people, client_for):
    """A curator places a hint whose colour is a word, not #rrggbb (colorize: hints)."""
    photo = make_photo(people.collection)
    curator = client_for(people.curator)
    return lambda lang: curator.post(
        f"/api/photos/{photo.pk}/hints/",
        {"x": 0.5, "y": 0.5, "color": "red"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _batch_edit_of_a_stranger_photo(people, client_for):
    """A curator edits, in one batch, a photo that is not in the collection (archive: photo metadata)."""
    curator = client_for(people.curator)
    return lambda lang: curator.post(
        f"/api/collections/{people.collection.pk}/photos/metadata/",
        {"photos": [987654], "changes": {"place": "Seoul"}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


CASES = {
    "review": (_version_submitted_twice, 409, "invalid_state", "the version is already submitted"),
    "runs": (_render_with_an_unknown_hints_mode, 400, "invalid", "hints: use one of verified, all"),
    "collections": (
        _member_nobody_knows,
        400,
        "invalid",
        "username: no active user with the name or e-mail address 'nobody@example.org'",
    ),
    "zip": (_zip_that_is_a_png, 400, "bad_zip", "the file is not a ZIP archive"),
    "hints": (_hint_with_a_colour_name, 400, "invalid", 'color: must be an sRGB hex colour like "#b22222"'),
    "photos": (
        _batch_edit_of_a_stranger_photo,
        400,
        "invalid",
        "photos: some photos are not in this collection",
    ),
}


@pytest.mark.django_db
@pytest.mark.usefixtures("test_colorizer")
@pytest.mark.parametrize("case", CASES)
def test_a_korean_client_reads_the_error_in_korean_with_the_code_an_english_one_gets(
    case, people, client_for
):
    scene, status, code, english = CASES[case]
    ask = scene(people, client_for)
    korean, in_english = ask("ko"), ask("en")
    for response in (korean, in_english):
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == code
    message = korean.json()["error"]["message"]
    assert HANGUL.search(message) and english not in message, message
    message = in_english.json()["error"]["message"]
    assert english in message and not HANGUL.search(message), message
