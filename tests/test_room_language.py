"""The photo room speaks the reader's language: its error frames come in Korean or English, chosen at the
handshake as LocaleMiddleware chooses a page's (the switcher's language cookie, else Accept-Language, else
LANGUAGE_CODE), with the same machine `code` in both languages."""

import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from colorize.services import hints as services
from tests.test_room_consumer import (  # noqa: F401  (_room_settings: the room tests' autouse settings)
    APP,
    RED,
    _room_settings,
    count_hints,
    next_frame,
    send,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


async def joined_in(user, photo, headers=(), app=APP):
    """Connect with these handshake headers (e.g. Accept-Language) and return the communicator, snapshot read."""
    comm = WebsocketCommunicator(app, f"/ws/photos/{photo.pk}/", headers=list(headers))
    comm.scope["user"] = user
    connected, code = await comm.connect(timeout=5)
    assert connected, code
    assert (await comm.receive_json_from(timeout=5))["type"] == "snapshot"
    return comm


def korean(frame) -> bool:
    """Is the error frame's message, and every field message, in Korean?"""
    texts = [frame["message"], *(m for messages in frame["fields"].values() for m in messages)]
    return all(HANGUL.search(text) for text in texts)


def english(frame) -> bool:
    texts = [frame["message"], *(m for messages in frame["fields"].values() for m in messages)]
    return not any(HANGUL.search(text) for text in texts)


# ----------------------------------------------------------------------- the services' errors (ORM thread)


async def _hint_in_a_colour_name(people, photo):
    """A curator places a hint whose colour is a word, not #rrggbb: the hint service refuses it."""
    return {"type": "hint.add", "request_id": "r1", "hint": {**RED, "color": "crimson"}}


async def _edit_of_an_old_revision(people, photo):
    """A curator recolours a hint at revision 1 that the owner has moved on to revision 2."""
    hint = (await database_sync_to_async(services.do_add_hint)(people.owner, photo, RED)).hint
    stored = await database_sync_to_async(services.get_hint)(photo, hint["id"])
    await database_sync_to_async(services.do_update_hint)(people.owner, stored, {"x": 0.6}, 1)
    return {"type": "hint.update", "request_id": "r1", "id": hint["id"], "revision": 1, "hint": {"y": 0.2}}


SERVICE_CASES = {
    "colour": (_hint_in_a_colour_name, "invalid", 'color: must be an sRGB hex colour like "#b22222"'),
    "stale": (_edit_of_an_old_revision, "stale", "is at revision 2, not 1: reload it and try again"),
}


@pytest.mark.parametrize("case", SERVICE_CASES)
async def test_a_korean_curator_reads_the_services_error_in_korean_with_the_english_code(people, photo, case):
    scene, code, english_text = SERVICE_CASES[case]
    frame = await scene(people, photo)
    hints_before = await count_hints()
    ko = await joined_in(people.curator, photo, [(b"accept-language", b"ko-KR,ko;q=0.9,en;q=0.8")])
    en = await joined_in(people.curator, photo, [(b"accept-language", b"en-US,en;q=0.9")])
    await send(ko, **frame)
    await send(en, **frame)
    in_korean, in_english = await next_frame(ko, "error"), await next_frame(en, "error")
    assert in_korean["code"] == in_english["code"] == code
    assert korean(in_korean) and english_text not in in_korean["message"], in_korean
    assert english(in_english) and english_text in in_english["message"], in_english
    assert in_korean["fields"].keys() == in_english["fields"].keys()
    assert await count_hints() == hints_before
    await ko.disconnect()
    await en.disconnect()


# ----------------------------------------------------------------------- the room's own frame checks


MALFORMED = {
    "a write without a request_id": ({"type": "hint.add", "hint": RED}, "invalid", "needs a request_id"),
    "a cursor off the photo": ({"type": "cursor", "x": 3, "y": "left"}, "invalid", "x and y must be numbers"),
    "an update without its revision": (
        {"type": "hint.update", "request_id": "r", "id": 1, "hint": {"x": 0.2}},
        "invalid",
        "hint.update needs",
    ),
    "a frame of an unknown type": (
        {"type": "hint.explode", "request_id": "r"},
        "unknown_type",
        "unknown frame",
    ),
    "a suggestion for too many colours": (
        {"type": "suggest", "request_id": "r", "x": 0.5, "y": 0.5, "k": 99},
        "invalid",
        "k must be an integer",
    ),
    "text that is not JSON": ("not json {", "bad_json", "not valid JSON"),
}


@pytest.mark.parametrize("case", MALFORMED)
async def test_a_malformed_frame_is_answered_in_korean_for_a_korean_curator(people, photo, case):
    frame, code, english_text = MALFORMED[case]
    raw = frame if isinstance(frame, str) else json.dumps(frame)
    ko = await joined_in(people.curator, photo, [(b"accept-language", b"ko")])
    en = await joined_in(people.curator, photo, [(b"accept-language", b"en")])
    await ko.send_to(text_data=raw)
    await en.send_to(text_data=raw)
    in_korean, in_english = await next_frame(ko, "error"), await next_frame(en, "error")
    assert in_korean["code"] == in_english["code"] == code
    assert korean(in_korean) and english_text not in in_korean["message"], in_korean
    assert english(in_english) and english_text in in_english["message"], in_english
    await send(ko, type="hint.add", request_id="ok", hint=RED)  # still connected, still Korean for the rest
    assert (await next_frame(ko, "ack"))["request_id"] == "ok"
    await ko.disconnect()
    await en.disconnect()


async def test_a_korean_viewer_asking_for_suggestions_is_refused_in_korean_by_the_answering_task(
    people, photo
):
    """The answer to a suggestion comes from a task the frame started, after the frame was handled."""
    ko = await joined_in(people.viewer, photo, [(b"accept-language", b"ko")])
    en = await joined_in(people.viewer, photo, [(b"accept-language", b"en")])
    for comm in (ko, en):
        await send(comm, type="suggest", request_id="s", x=0.5, y=0.5)
    in_korean, in_english = await next_frame(ko, "error"), await next_frame(en, "error")
    assert in_korean["code"] == in_english["code"] == "forbidden"
    assert korean(in_korean) and in_english["message"] == "suggestions are for curators, reviewers and owners"
    await ko.disconnect()
    await en.disconnect()


# ----------------------------------------------------------------------- which language, from the handshake


@pytest.mark.parametrize(
    "cookie, accept, language",
    [
        ("ko", "en-US,en;q=0.9", "ko"),  # the switcher's choice wins over the browser's
        ("en", "ko-KR,ko;q=0.9", "en"),
        ("fr", "ko-KR,ko;q=0.9", "ko"),  # a language the site does not speak: the browser's
        (None, "ko-KR,ko;q=0.9", "ko"),
    ],
)
async def test_the_language_cookie_wins_over_accept_language_through_the_full_stack(
    people, photo, cookie, accept, language
):
    from rest_framework.authtoken.models import Token

    from config.asgi import application

    key = (await database_sync_to_async(Token.objects.create)(user=people.curator)).key
    headers = [
        (b"authorization", f"Token {key}".encode()),
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"accept-language", accept.encode()),
    ]
    if cookie:
        headers.append((b"cookie", f"django_language={cookie}; tz=Asia/Seoul".encode()))
    comm = await joined_in(people.curator, photo, headers, app=application)
    await send(comm, type="hint.add", hint=RED)
    error = await next_frame(comm, "error")
    assert error["code"] == "invalid"
    assert korean(error) if language == "ko" else english(error), error
    await comm.disconnect()


@pytest.mark.parametrize(
    "accept, default, language",
    [
        ("fr-FR,fr;q=0.9,ko;q=0.5", "en", "ko"),  # the first language of the header the site speaks
        ("fr-FR,fr;q=0.9", "en", "en"),  # none: LANGUAGE_CODE
        ("fr-FR,fr;q=0.9", "ko", "ko"),  # a Korean archive (LANGUAGE_CODE=ko)
        ("*", "ko", "ko"),
        ("", "en", "en"),
    ],
)
async def test_without_a_cookie_the_room_takes_the_browsers_language_else_the_sites(
    people, photo, settings, accept, default, language
):
    settings.LANGUAGE_CODE = default
    comm = await joined_in(people.curator, photo, [(b"accept-language", accept.encode())])
    await send(comm, type="cursor", x=2, y=0.5)
    error = await next_frame(comm, "error")
    assert korean(error) if language == "ko" else english(error), error
    await comm.disconnect()
