"""The pages run under the platform's strict Content-Security-Policy (no inline script, no eval)."""

import pytest

pytestmark = pytest.mark.browser


def test_the_pages_run_under_the_strict_csp_without_a_violation(sign_in, ui_server):
    page = sign_in("curator", enforce_csp=True)
    violations = []
    current = {"path": ""}
    page.on(
        "console",
        lambda msg: (
            violations.append((current["path"], msg.text)) if "Content Security Policy" in msg.text else None
        ),
    )
    for path in ["/", f"/collections/{ui_server.seed['collection']}/", "/review/", "/api/docs/"]:
        current["path"] = path
        response = page.goto(f"{ui_server.url}{path}")
        assert response.status == 200 and "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert violations == []
