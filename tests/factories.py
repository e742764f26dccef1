"""factory_boy factories and tiny in-memory images (tests never need ../shared)."""

import io
import itertools

import factory
import numpy as np
from django.contrib.auth import get_user_model
from PIL import Image

from accounts.models import Membership, Role
from archive.models import Collection, Visibility


def gray_image_bytes(width=64, height=48, fmt="PNG", mode="L", seed=0) -> bytes:
    """A small synthetic grayscale (or RGB / 16-bit) photo encoded as `fmt`."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, width)[None, :] * np.linspace(0.3, 1, height)[:, None]
    noise = rng.normal(0, 0.03, (height, width))
    values = np.clip(ramp + noise, 0, 1)
    if mode == "I;16":
        image = Image.fromarray((values * 65535).astype(np.uint16))
    elif mode == "RGB":
        image = Image.fromarray((np.stack([values, values * 0.8, values * 0.6], -1) * 255).astype(np.uint8))
    else:
        image = Image.fromarray((values * 255).astype(np.uint8), "L")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery")


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    title = factory.Sequence(lambda n: f"Collection {n}")
    owner = factory.SubFactory(UserFactory)
    visibility = Visibility.PRIVATE


def add_member(collection, user, role: Role) -> Membership:
    return Membership.objects.create(collection=collection, user=user, role=role)


def make_photo(collection, width=64, height=48, seed=0, **fields):
    """A stored grayscale PNG photo in `collection`, made directly (no upload pipeline)."""
    import hashlib

    from django.core.files.base import ContentFile

    from archive.models import Photo

    data = gray_image_bytes(width, height, seed=seed)
    photo = Photo(
        collection=collection,
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        format="PNG",
        width=width,
        height=height,
        mode="L",
        bit_depth=8,
        original_name=f"photo-{seed}.png",
        **fields,
    )
    photo.original.save("original.png", ContentFile(data), save=False)
    photo.save()
    return photo


def jobs_run_now():
    """Context manager: run the after-commit callbacks (background jobs) queued in the block when it ends.

    Tests run inside a transaction that never commits, so `config.jobs.enqueue` would never fire otherwise.
    """
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


_upload_seeds = itertools.count(100_000)


def ingest_photo(people, **metadata):
    """A tiny photo, unique in its collection, uploaded by the curator through archive's do_ingest_photo."""
    from archive.services.ingest import do_ingest_photo

    data = gray_image_bytes(16, 12, seed=next(_upload_seeds))
    return do_ingest_photo(people.curator, people.collection, io.BytesIO(data), "p.png", metadata)
