"""The official IIIF validator (iiif-validator's iiif-validate.py) against a real daphne server serving a photo
made from the validator's own test image, ../shared/iiif/67352ccc-d1b0-11e1-89ae-279075081939.png."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
TEST_IMAGE = ROOT.parent / "shared" / "iiif" / "67352ccc-d1b0-11e1-89ae-279075081939.png"
VALIDATOR = Path(sys.executable).parent / "iiif-validate.py"

SEED = """
import sys
from django.contrib.auth import get_user_model
from archive.models import Collection, Visibility
from archive.services.ingest import do_ingest_photo
owner = get_user_model().objects.create_user("owner", password="x-unused-x")
collection = Collection.objects.create(owner=owner, title="IIIF test", visibility=Visibility.PUBLIC)
with open(sys.argv[1], "rb") as f:
    photo = do_ingest_photo(owner, collection, f, "67352ccc-d1b0-11e1-89ae-279075081939.png", None)
private = Collection.objects.create(owner=owner, title="Private", visibility=Visibility.PRIVATE)
with open(sys.argv[1], "rb") as f:
    hidden = do_ingest_photo(owner, private, f, "hidden.png", None)
print(photo.pk, hidden.pk)
"""


@pytest.fixture(scope="module")
def iiif_server(tmp_path_factory):
    if not TEST_IMAGE.exists():
        pytest.skip(f"the validator's test image is missing: {TEST_IMAGE} (shared/iiif beside the clone)")
    var = tmp_path_factory.mktemp("iiif-var")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "S3_BUCKET")
    }
    env.update(
        FINDCOLOR_VAR_DIR=str(var),
        JOB_BACKEND="sync",
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        OMP_NUM_THREADS="1",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seed = var / "seed.py"
    seed.write_text("import django\ndjango.setup()\n" + SEED)
    out = subprocess.run(
        [sys.executable, str(seed), str(TEST_IMAGE)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    )
    photo_id, hidden_id = out.stdout.split()[-2:]
    port = free_port()
    log = open(var / "daphne.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
                break
            except Exception:
                if proc.poll() is not None:
                    raise RuntimeError((var / "daphne.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield {
            "host": f"127.0.0.1:{port}",
            "url": url,
            "photo": f"photo-{photo_id}",
            "hidden": f"photo-{hidden_id}",
        }
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _validate(server, identifier, level):
    return subprocess.run(
        [
            sys.executable,
            str(VALIDATOR),
            "-s",
            server["host"],
            "-p",
            "iiif/3",
            "-i",
            identifier,
            "--version",
            "3.0",
            "--level",
            str(level),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_official_validator_passes_level_1_and_level_2_on_a_public_photo(iiif_server):
    for level in (1, 2):
        result = _validate(iiif_server, iiif_server["photo"], level)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"level {level}:\n{output[-4000:]}"
        assert "tests, 0 failures)" in output and " FAIL" not in output, output[-4000:]


def test_the_validator_fails_on_a_private_photo_an_outsider_cannot_see(iiif_server):
    result = _validate(iiif_server, iiif_server["hidden"], 1)
    assert result.returncode != 0
