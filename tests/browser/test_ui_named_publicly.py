"""Issue 23, item 6: a person chooses on their home page whether the public face shows their username (off by
default); the choice is stored and shown again after a reload."""

import pytest

pytestmark = pytest.mark.browser


def test_a_curator_chooses_to_be_named_in_public_and_changes_their_mind(sign_in, ui_server):
    page = sign_in("curator2")
    box = page.get_by_label("Show my username to the public", exact=False)
    assert not box.is_checked()
    box.check()
    page.locator("#named-status", has_text="Saved").wait_for()
    assert ui_server.values("accounts.Profile", "named_publicly", user__username="curator2") == [(True,)]
    page.reload()
    box = page.get_by_label("Show my username to the public", exact=False)
    assert box.is_checked()
    box.uncheck()
    page.locator("#named-status", has_text="Saved").wait_for()
    assert ui_server.values("accounts.Profile", "named_publicly", user__username="curator2") == [(False,)]
