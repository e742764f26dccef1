"""Originals and derivatives through django-storages S3 against a real S3-compatible server on loopback.

moto's ThreadedMotoServer speaks the S3 HTTP API on 127.0.0.1; django-storages and boto3 talk to it
over real sockets, exactly as they would to MinIO in the docker-compose deployment.
"""

import hashlib
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from moto.server import ThreadedMotoServer

from archive.models import DerivativeStatus, Photo
from tests.factories import gray_image_bytes

pytestmark = pytest.mark.django_db
KEY_ID, SECRET, REGION = "findcolor-test", "findcolor-test-secret", "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, settings, request):
    """A fresh bucket, made the default storage exactly as S3_BUCKET does in config/settings.py."""
    bucket = f"findcolor-{request.node.name.replace('_', '-')[:40].strip('-')}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.MediaS3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_endpoint,
                "access_key": KEY_ID,
                "secret_key": SECRET,
                "region_name": REGION,
                "file_overwrite": False,
                "querystring_auth": True,
            },
        },
    }
    return client, bucket


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_photo_original_round_trips_through_s3_byte_for_byte(s3_bucket, people, settings):
    client, bucket = s3_bucket
    data = gray_image_bytes(97, 61, fmt="TIFF", mode="I;16", seed=3)
    photo = Photo(
        collection=people.collection,
        sha256=sha256(data),
        byte_size=len(data),
        format="TIFF",
        width=97,
        height=61,
        mode="I;16",
        bit_depth=16,
    )
    photo.original.save("scan.tif", ContentFile(data), save=True)

    from storages.backends.s3 import S3Storage

    assert isinstance(photo.original.storage._wrapped, S3Storage)
    key = photo.original.name
    assert key == f"originals/{people.collection.pk}/{photo.sha256[:2]}/{photo.sha256}.tif"
    # The object is in the bucket, not on the local disk.
    stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert sha256(stored) == photo.sha256
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.tif"))
    # Read back through Django's storage API from a fresh instance.
    with Photo.objects.get(pk=photo.pk).original.open("rb") as handle:
        assert sha256(handle.read()) == photo.sha256
    # And through the signed URL that is handed to browsers.
    url = photo.original.url
    assert "Signature=" in url or "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert sha256(response.read()) == photo.sha256


def test_storage_never_overwrites_an_existing_object(s3_bucket):
    from django.core.files.storage import default_storage

    first = default_storage.save("originals/same-name.png", ContentFile(b"first"))
    second = default_storage.save("originals/same-name.png", ContentFile(b"second"))
    assert first != second
    assert default_storage.open(first).read() == b"first"
    assert default_storage.open(second).read() == b"second"


def test_an_upload_and_its_derivatives_live_in_s3(s3_bucket, people, django_capture_on_commit_callbacks):
    from archive.services.ingest import do_ingest_photo

    client, bucket = s3_bucket
    data = gray_image_bytes(400, 300, fmt="PNG", seed=5)
    with django_capture_on_commit_callbacks(execute=True):
        photo = do_ingest_photo(
            people.curator, people.collection, ContentFile(data), "street.png", {"title": "Street"}
        )
    photo.refresh_from_db()  # JOB_BACKEND=sync: the derivatives job ran after commit
    assert photo.derivatives_status == DerivativeStatus.READY, photo.derivatives_error
    keys = {obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {photo.original.name, photo.thumbnail.name, photo.web.name, photo.gray.name} <= keys
    assert sha256(client.get_object(Bucket=bucket, Key=photo.original.name)["Body"].read()) == sha256(data)


def test_a_polyglot_reference_is_stored_in_s3_as_a_png_attachment_never_as_html(s3_bucket, people):
    """A curator's reference named x.html and declared text/html: the bucket serves a re-encoded PNG."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from colorize.services.references import do_add_shared_reference
    from tests.test_upload_polyglot import polyglot_png

    client, bucket = s3_bucket
    upload = SimpleUploadedFile("x.html", polyglot_png(seed=8), content_type="text/html")
    reference = do_add_shared_reference(people.curator, {"era": "korean-war"}, {"image": upload})
    head = client.head_object(Bucket=bucket, Key=reference.image.name)
    assert reference.image.name.endswith(".png")
    assert head["ContentType"] == "image/png"
    assert head["ContentDisposition"].startswith("attachment")
    with urllib.request.urlopen(reference.image.url, timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert b"<script" not in response.read()
