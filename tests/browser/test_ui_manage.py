"""Issue 12, item 3: an owner creates and manages a collection in the UI (settings, members by username or
e-mail, roles, removal), with audit entries; reviewers and owners edit eras and situations."""

import pytest

pytestmark = pytest.mark.browser


def test_an_owner_creates_a_collection_adds_members_changes_a_role_and_removes_one(sign_in, ui_server):
    owner = sign_in("owner")
    owner.get_by_role("button", name="New collection").click()
    dialog = owner.get_by_role("dialog", name="New collection")
    dialog.get_by_label("Title").fill("Busan harbour 1950s")
    dialog.get_by_label("Description").fill("Dock workers and ferries")
    dialog.get_by_label("Visibility").select_option("private")
    dialog.get_by_role("button", name="Create").click()
    owner.wait_for_url("**/collections/*/")
    collection = int(owner.url.rstrip("/").split("/")[-1])
    owner.get_by_role("heading", name="Busan harbour 1950s").wait_for()

    owner.get_by_role("button", name="Manage collection and members").click()
    manage = owner.get_by_role("dialog", name="Manage collection")
    manage.get_by_label("Username or e-mail").fill("curator")
    manage.get_by_label("Role", exact=True).select_option("curator")
    manage.get_by_role("button", name="Add member").click()
    manage.locator('#member-list li[data-user="curator"]').wait_for()
    manage.get_by_label("Username or e-mail").fill("reviewer@example.org")  # by e-mail address
    manage.get_by_label("Role", exact=True).select_option("viewer")
    manage.get_by_role("button", name="Add member").click()
    manage.locator('#member-list li[data-user="reviewer"]').wait_for()
    # a name that is nobody: a readable refusal, nothing added
    manage.get_by_label("Username or e-mail").fill("nobody-here")
    manage.get_by_role("button", name="Add member").click()
    assert "no active user" in manage.get_by_role("alert").inner_text()

    manage.get_by_label("Role of reviewer").select_option("reviewer")
    owner.wait_for_function(
        "document.querySelector('#member-list select[data-user=reviewer]').value === 'reviewer'"
        " && !document.getElementById('member-error').textContent"
    )
    manage.get_by_role("button", name="Remove curator").click()
    manage.locator('#member-list li[data-user="curator"]').wait_for(state="detached")
    manage.get_by_label("Visibility").select_option("public")
    manage.get_by_role("button", name="Save settings").click()
    manage.get_by_text("Saved.").wait_for()

    roles = ui_server.values(
        "accounts.Membership", "user__username", "role", collection_id=collection, order_by=["user__username"]
    )
    assert roles == [("reviewer", 30)]
    assert ui_server.values("archive.Collection", "visibility", pk=collection) == [("public",)]
    audit = ui_server.values(
        "archive.AuditEntry", "action", "details", collection_id=collection, order_by=["pk"]
    )
    actions = [a for a, _ in audit]
    assert actions == [
        "collection.create",
        "member.add",
        "member.add",
        "member.role",
        "member.remove",
        "collection.update",
    ]
    assert audit[3][1] == {"username": "reviewer", "before": "viewer", "role": "reviewer"}


def test_staff_rename_and_add_situations_and_a_reviewer_may_not(sign_in, ui_server):
    reviewer = sign_in("archivist")
    reviewer.goto(f"{ui_server.url}/vocabularies/")
    name = reviewer.get_by_label("Name of street")
    name.fill("Street scene")
    reviewer.get_by_role("button", name="Save street").click()
    reviewer.get_by_role("button", name="Save street").filter(has_text="Saved").wait_for()
    reviewer.get_by_label("New entry in Situations", exact=True).fill("Harbour")
    reviewer.get_by_role("form", name="Add to Situations").get_by_role("button", name="Add").click()
    reviewer.get_by_label("Name of harbour").wait_for()
    assert ui_server.values("archive.Situation", "name_en", slug="street") == [("Street scene",)]
    assert ("situation.create",) in ui_server.values("archive.AuditEntry", "action")
    # put the name back for the other tests
    reviewer.get_by_label("Name of street").fill("Street")
    reviewer.get_by_role("button", name="Save street").click()
    reviewer.wait_for_function("document.querySelector('[data-slug=street] input').value === 'Street'")
    reviewer.get_by_role("button", name="Save street").filter(has_text="Saved").wait_for()

    curator = sign_in("reviewer")
    curator.goto(f"{ui_server.url}/vocabularies/")
    assert curator.get_by_role("button", name="Save street").count() == 0
    status = curator.evaluate(
        """async () => { const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
          const r = await fetch('/api/situations/', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': csrf}, body: JSON.stringify({name: 'Sneaky'})}); return r.status; }"""
    )
    assert status == 403
