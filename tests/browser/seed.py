"""Seed the browser tests' database (run in a subprocess against the live server's SQLite file).

Prints one JSON object: user names, the collection id and the ids of the seeded photos.
"""

import io
import json
import os
import sys

import django

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["JOB_BACKEND"] = "sync"  # derivatives made before this script exits
django.setup()

import numpy as np  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from PIL import Image  # noqa: E402

from accounts.models import Membership, Role  # noqa: E402
from archive.models import Collection, Era, Situation  # noqa: E402
from archive.services.ingest import do_ingest_photo  # noqa: E402

PASSWORD = "correct horse battery"


def scene(width: int, height: int) -> Image.Image:
    """A grayscale photograph from scikit-image's public-domain data, resized to width x height."""
    try:
        from skimage import data

        rgb = data.astronaut()
        gray = (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.uint8)
        image = Image.fromarray(gray, "L")
    except Exception:  # scikit-image data missing: a synthetic gradient with shapes
        yy, xx = np.mgrid[0:512, 0:512]
        gray = ((xx + yy) / 4 % 256).astype(np.uint8)
        image = Image.fromarray(gray, "L")
    if image.size != (width, height):
        ratio = max(width / image.width, height / image.height)
        image = image.resize((round(image.width * ratio), round(image.height * ratio)), Image.LANCZOS)
        left = (image.width - width) // 2
        top = (image.height - height) // 2
        image = image.crop((left, top, left + width, top + height))
    return image


def encoded(image: Image.Image, fmt: str = "JPEG") -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=90)
    buffer.seek(0)
    return buffer


def main():
    User = get_user_model()
    users = {}
    for name in ("owner", "curator", "curator2", "reviewer", "viewer", "outsider", "archivist"):
        user = User.objects.create_user(name, f"{name}@example.org", PASSWORD)
        users[name] = user
    # staff (no collection role): the one who edits the shared eras and situations
    users["archivist"].is_staff = True
    users["archivist"].save(update_fields=["is_staff"])
    collection = Collection.objects.create(
        title="Liberation 1945", owner=users["owner"], description="Seoul, 1945"
    )
    for name, role in (
        ("curator", Role.CURATOR),
        ("curator2", Role.CURATOR),
        ("reviewer", Role.REVIEWER),
        ("viewer", Role.VIEWER),
    ):
        Membership.objects.create(collection=collection, user=users[name], role=role)
    liberation = Era.objects.get(slug="liberation")
    photos = {}
    small = do_ingest_photo(
        users["curator"],
        collection,
        encoded(scene(640, 480)),
        "street.jpg",
        {
            "title": "Street in Seoul",
            "place": "Seoul",
            "date_display": "c. 1945",
            "era": liberation.slug,
            "situations": ["street"],
        },
    )
    photos["small"] = small.pk
    second = do_ingest_photo(
        users["curator"],
        collection,
        encoded(scene(480, 640).transpose(Image.FLIP_LEFT_RIGHT)),
        "portrait.jpg",
        {"title": "Portrait of a teacher", "situations": ["portrait"]},
    )
    photos["second"] = second.pk
    if os.environ.get("SEED_BIG", "1") == "1":
        big = do_ingest_photo(
            users["curator"],
            collection,
            encoded(scene(4000, 3000)),
            "scan-12mp.jpg",
            {"title": "Ceremony, 12 MP scan", "situations": ["ceremony"]},
        )
        photos["big"] = big.pk
    assert Situation.objects.filter(slug="street").exists()
    print(json.dumps({"collection": collection.pk, "photos": photos, "password": PASSWORD}))


if __name__ == "__main__":
    main()
