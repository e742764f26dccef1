"""Hint reach and fences over REST and in the model input: a curator says "this object only" or draws a fence."""

import pytest

from colorize.models.hints import Hint
from tests.factories import make_photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_previews")]

RED = {"x": 0.42, "y": 0.31, "color": "#b22222", "radius": 0.01}
FENCE = {"shape": "fence", "points": [[0.5, 0.0], [0.5, 1.0]]}


@pytest.fixture
def photo(people):
    return make_photo(people.collection)


def post(client, photo, body):
    return client.post(f"/api/photos/{photo.pk}/hints/", body, content_type="application/json")


def patch(client, hint_id, body):
    return client.patch(f"/api/hints/{hint_id}/", body, content_type="application/json")


def test_a_curator_places_a_hint_for_this_object_only_and_members_read_its_reach(people, photo, client_for):
    response = post(client_for(people.curator), photo, {**RED, "reach": "object"})
    assert response.status_code == 201, response.content
    assert response.json()["hint"]["reach"] == "object"
    listing = client_for(people.viewer).get(f"/api/photos/{photo.pk}/hints/").json()["hints"]
    assert [h["reach"] for h in listing] == ["object"]
    assert Hint.objects.get().to_ml().reach == "object"


def test_a_hint_without_a_reach_is_wide_as_before(people, photo, client_for):
    body = post(client_for(people.curator), photo, RED).json()["hint"]
    assert body["reach"] == "wide"
    assert Hint.objects.get().to_ml().reach == "wide"


def test_a_curator_sending_an_unknown_reach_gets_a_400_naming_the_field_and_nothing_is_stored(
    people, photo, client_for
):
    for reach in ("everywhere", 3, None, ""):
        response = post(client_for(people.curator), photo, {**RED, "reach": reach})
        assert response.status_code == 400, reach
        assert "reach" in response.json()["error"]["fields"]
    assert not Hint.objects.exists()


def test_changing_the_reach_of_a_verified_hint_takes_a_reviewer_and_returns_it_to_suggested(
    people, photo, client_for
):
    hint_id = post(client_for(people.curator), photo, RED).json()["hint"]["id"]
    verified = patch(
        client_for(people.reviewer),
        hint_id,
        {"revision": 1, "status": "verified", "evidence_source": "Regimental colours, 1950 handbook"},
    )
    assert verified.status_code == 200 and verified.json()["hint"]["status"] == "verified"
    assert patch(client_for(people.curator), hint_id, {"revision": 2, "reach": "object"}).status_code == 403
    changed = patch(client_for(people.reviewer), hint_id, {"revision": 2, "reach": "object"})
    assert changed.status_code == 200
    assert changed.json()["hint"]["reach"] == "object" and changed.json()["hint"]["status"] == "suggested"


def test_a_curator_draws_a_fence_with_no_colour_and_the_model_gets_an_ml_fence(people, photo, client_for):
    import ml

    response = post(client_for(people.curator), photo, FENCE)
    assert response.status_code == 201, response.content
    hint = response.json()["hint"]
    assert (
        hint["shape"] == "fence"
        and hint["points"] == FENCE["points"]
        and (hint["x"], hint["y"]) == (0.5, 0.0)
    )
    fence = Hint.objects.get().to_ml()
    assert isinstance(fence, ml.Fence) and fence.points == [(0.5, 1.0)]
    # a colour sent with a fence is not kept: a fence colours nothing
    other = post(client_for(people.curator), photo, {**FENCE, "color": "#ff0000"}).json()["hint"]
    assert other["color"] == "#000000"


def test_a_fence_needs_a_line_of_at_least_two_points(people, photo, client_for):
    response = post(client_for(people.curator), photo, {"shape": "fence", "x": 0.2, "y": 0.2})
    assert response.status_code == 400 and "points" in response.json()["error"]["fields"]
    response = post(client_for(people.curator), photo, {"shape": "fence", "points": [[0.2, 0.2]]})
    assert response.status_code == 400 and "points" in response.json()["error"]["fields"]
    assert not Hint.objects.exists()


def test_a_viewer_may_not_draw_a_fence(people, photo, client_for):
    assert post(client_for(people.viewer), photo, FENCE).status_code == 403
    assert post(client_for(people.outsider), photo, FENCE).status_code == 404
    assert not Hint.objects.exists()


def test_undo_of_a_reach_change_restores_the_old_reach(people, photo, client_for):
    client = client_for(people.curator)
    hint_id = post(client, photo, RED).json()["hint"]["id"]
    assert patch(client, hint_id, {"revision": 1, "reach": "region"}).status_code == 200
    undo = client.post(f"/api/photos/{photo.pk}/hints/undo/", {}, content_type="application/json")
    assert undo.status_code in (200, 201), undo.content
    assert Hint.objects.get().reach == "wide"


@pytest.mark.django_db(transaction=True)
def test_in_the_room_a_curators_object_hint_and_fence_reach_the_other_curator_and_a_bad_reach_is_an_error(
    people, photo, settings, short_lived_connections
):
    import asyncio

    from django.contrib.auth import get_user_model

    from accounts.models import Role
    from tests.factories import add_member
    from tests.test_room_consumer import close_all, joined, next_frame, reply_to, send

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    second = get_user_model().objects.create_user("curator2", password="x")
    add_member(people.collection, second, Role.CURATOR)

    async def scenario():
        alice, _ = await joined(people.curator, photo)
        bob, _ = await joined(second, photo)
        await send(alice, type="hint.add", request_id="r1", hint={**RED, "reach": "object"})
        assert (await reply_to(alice, "r1"))["type"] == "ack"
        seen = await next_frame(bob, "hint.added")
        assert seen["hint"]["reach"] == "object"
        await send(alice, type="hint.add", request_id="r2", hint=FENCE)
        assert (await reply_to(alice, "r2"))["type"] == "ack"
        assert (await next_frame(bob, "hint.added"))["hint"]["shape"] == "fence"
        await send(alice, type="hint.add", request_id="r3", hint={**RED, "reach": "far"})
        error = await reply_to(alice, "r3")
        assert error["type"] == "error" and "reach" in error["fields"]
        await close_all(alice, bob)

    asyncio.run(scenario())
    assert sorted(Hint.objects.values_list("shape", "reach")) == [("fence", "wide"), ("point", "object")]


def test_a_fence_is_not_published_as_a_colour_annotation(people, photo, client_for):
    client = client_for(people.curator)
    red = post(client, photo, RED).json()["hint"]["id"]
    assert post(client, photo, FENCE).status_code == 201
    page = client_for(people.viewer).get(f"/api/photos/{photo.pk}/annotations/").json()
    assert [item["id"].rsplit("-", 1)[1] for item in page["items"]] == [str(red)]
