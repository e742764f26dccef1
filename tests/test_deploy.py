"""Production settings: `check --deploy` clean, a strict CSP on every page, static files with caching headers,
DATABASE_URL options honoured."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "S3_", "SECURE_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="p" * 20 + "Xq7!vLz0-r9Wk2^mN4bT8&yH3sJ6eD1uC5gF",
        ALLOWED_HOSTS="archive.example.org",
        CSRF_TRUSTED_ORIGINS="https://archive.example.org",
        FINDCOLOR_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def test_check_deploy_passes_with_no_warning_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_the_production_stack_can_turn_https_off_for_a_plain_http_compose_stack(tmp_path):
    env = _production_env(tmp_path)
    env.update(
        SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0"
    )
    code = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.stdout.split() == ["False", "False", "0"], out.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/", "/collections/{c}/", "/review/", "/api/docs/"])
def test_every_page_carries_a_strict_csp_and_no_inline_script(people, client_for, url):
    response = client_for(people.curator).get(url.format(c=people.collection.pk), follow=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert "unsafe-eval" not in policy
    assert "unsafe-inline" not in directives["script-src"]
    if url != "/api/docs/":  # Swagger UI alone needs inline styles
        assert "unsafe-inline" not in policy
    html = response.content.decode()
    for script in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in script or 'type="application/json"' in script, script
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def test_database_url_query_parameters_become_driver_options():
    from config.env import database_from_url

    db = database_from_url(
        "postgres://u:p%40ss@db.example.org:6432/fc?sslmode=require&connect_timeout=5&conn_max_age=0"
    )
    assert db["OPTIONS"] == {"sslmode": "require", "connect_timeout": "5"}
    assert db["CONN_MAX_AGE"] == 0 and db["PASSWORD"] == "p@ss" and db["PORT"] == "6432"
    assert "OPTIONS" not in database_from_url("postgres://u@localhost/fc")
