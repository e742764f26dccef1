"""`manage.py load_demo`: the public demo collection that `make run` loads on a fresh machine.

The photographs come from scikit-image's data module (installed with the platform, so nothing is
downloaded): each is converted to 8-bit grayscale PNG and ingested through the archive's own upload
service, exactly as a curator's upload would be. Running it again creates nothing new (photos are matched by
their identifier, so a newer demo adds only the photos it did not have).

A few photos are described in Korean. Every title says what the picture shows; no photo is given a date, a
place or a Korean historical period that it does not have (none of these modern sample photographs belongs to
one).
"""

import io
import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Role
from archive.models import Collection, Photo, Visibility

DEMO_TITLE = "Demo: public-domain photographs"
DEMO_DESCRIPTION = (
    "Sample photographs that ship with scikit-image (skimage.data), converted to 8-bit grayscale so they "
    "can be restored here. They are modern photographs released into the public domain or under CC0, "
    "used to try the platform: they are not historical records, and their colours are not documented."
)
# (username, role in the demo collection); the first one owns it.
DEMO_ACCOUNTS = [("archivist", Role.OWNER), ("curator", Role.CURATOR), ("reviewer", Role.REVIEWER)]


@dataclass(frozen=True)
class DemoPhoto:
    name: str  # the skimage.data function
    title: str
    description: str
    creator: str
    rights: str
    date_display: str = ""
    date_from: str | None = None
    date_to: str | None = None
    place: str = ""
    situations: tuple[str, ...] = field(default_factory=tuple)
    era: str = ""
    source: str = "scikit-image sample data (skimage.data), converted to 8-bit grayscale"

    @property
    def identifier(self) -> str:
        return f"skimage.data.{self.name}"


CC0 = "CC0 1.0: no copyright restrictions (dedicated to the public domain by the photographer)"
PD = "Public domain: no known copyright restrictions"
PD_KO = "퍼블릭 도메인: 알려진 저작권 제한 없음"
SOURCE_KO = "scikit-image 예제 사진(skimage.data), 8비트 흑백으로 변환"

DEMO_PHOTOS = [
    DemoPhoto(
        "camera",
        "Man with a camera on a tripod",
        "A photographer standing behind a camera on a tripod, outdoors.",
        "Lav Varshney",
        CC0,
        situations=("portrait",),
    ),
    DemoPhoto(
        "astronaut",
        "Portrait of astronaut Eileen Collins",
        "Official NASA portrait of Eileen Collins, selected as an astronaut in 1992 and the first woman to "
        "pilot the Space Shuttle (STS-63, 1995).",
        "NASA",
        PD,
        situations=("portrait",),
    ),
    DemoPhoto(
        "coffee",
        "Cup of coffee on a saucer",
        "A cup of coffee on a saucer, seen from above.",
        "Rachel Michetti",
        CC0,
        situations=("daily-life",),
    ),
    DemoPhoto(
        "chelsea",
        "Chelsea the cat",
        "A tabby cat looking at the camera.",
        "Stefan van der Walt",
        CC0,
        situations=("daily-life", "portrait"),
    ),
    DemoPhoto(
        "rocket",
        "Launch of DSCOVR on a Falcon 9 rocket",
        "Launch of the Deep Space Climate Observatory on a SpaceX Falcon 9 rocket.",
        "SpaceX",
        "Public domain: released into the public domain by SpaceX",
        date_display="11 February 2015",
        date_from="2015-02-11",
        date_to="2015-02-11",
        place="Cape Canaveral, Florida, United States",
        situations=("industry",),
    ),
    DemoPhoto(
        "coins",
        "Greek coins from Pompeii",
        "Several ancient Greek coins from Pompeii laid out against a gray background (Brooklyn Museum).",
        "Brooklyn Museum",
        PD,
    ),
    DemoPhoto(
        "clock",
        "Wall clock, motion-blurred",
        "A wall clock photographed while the camera moved horizontally.",
        "Stefan van der Walt",
        "Public domain: released into the public domain by the photographer",
        situations=("daily-life",),
    ),
    DemoPhoto(
        "moon",
        "달 표면",
        "대비가 낮은 달 표면 흑백 사진. 히스토그램 평활화 같은 명암 보정을 보여 주는 데 흔히 쓰인다.",
        "미상",
        PD_KO,
        source=SOURCE_KO,
    ),
    DemoPhoto(
        "page",
        "인쇄된 책의 한 쪽",
        "조명이 고르지 않은 채 찍힌 인쇄물 한 쪽. 기록물 스캔의 배경 보정을 연습하기 좋다.",
        "미상",
        PD_KO,
        source=SOURCE_KO,
    ),
    DemoPhoto(
        "text",
        "글자 이미지 (모서리 검출 예제)",
        "밝은 바탕에 쓴 글자를 찍은 흑백 이미지. 컴퓨터 비전에서 모서리 검출을 시험할 때 흔히 쓰는 예제 사진으로, "
        "역사 기록이 아니며 찍은 때와 곳은 알려져 있지 않다.",
        "미상",
        PD_KO,
        source=SOURCE_KO,
    ),
]


def demo_png(name: str) -> bytes:
    """The named skimage.data photograph as an 8-bit grayscale PNG (deterministic bytes)."""
    import numpy as np
    import skimage.data
    from PIL import Image

    array = np.asarray(getattr(skimage.data, name)())
    image = Image.fromarray(array)
    if image.mode != "L":
        image = image.convert("RGB").convert("L")  # ITU-R 601-2 luma
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def demo_metadata(photo: DemoPhoto) -> dict:
    return {
        "title": photo.title,
        "description": photo.description,
        "creator": photo.creator,
        "date_display": photo.date_display,
        "date_from": photo.date_from,
        "date_to": photo.date_to,
        "place": photo.place,
        "source": photo.source,
        "rights": photo.rights,
        "identifier": photo.identifier,
        "situations": list(photo.situations),
        "era": photo.era,
    }


def ensure_accounts(write) -> dict:
    """The demo accounts, each created once with a random password printed only then."""
    User = get_user_model()
    users = {}
    for username, role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username, email=f"{username}@demo.invalid", password=password
            )
            write(f"Created demo {role.label} account: username {username!r}, password {password!r}")
        users[role] = user
    return users


def ensure_collection(users: dict) -> tuple[Collection, bool]:
    owner = users[Role.OWNER]
    with transaction.atomic():
        collection, created = Collection.objects.get_or_create(
            title=DEMO_TITLE,
            owner=owner,
            defaults={"description": DEMO_DESCRIPTION, "visibility": Visibility.PUBLIC},
        )
        for role, user in users.items():
            if role != Role.OWNER:
                Membership.objects.get_or_create(collection=collection, user=user, defaults={"role": role})
    return collection, created


def load_demo(write) -> dict:
    """Build the demo collection; returns counts of what was created this time."""
    from archive.services.ingest import do_ingest_photo
    from config.jobs import wait_idle

    users = ensure_accounts(write)
    collection, created = ensure_collection(users)
    existing = set(collection.photos.values_list("identifier", flat=True))
    added = 0
    for photo in DEMO_PHOTOS:
        if photo.identifier in existing:
            continue
        data = demo_png(photo.name)
        do_ingest_photo(
            users[Role.CURATOR], collection, io.BytesIO(data), f"{photo.name}.png", demo_metadata(photo)
        )
        added += 1
    wait_idle(timeout=300)  # the in-process executor makes the derivatives; finish before exiting
    return {"collection": collection, "collection_created": created, "photos_added": added}


class Command(BaseCommand):
    help = "Create the public demo collection (scikit-image sample photographs) and demo accounts, once."

    def handle(self, *args, **options):
        result = load_demo(self.stdout.write)
        collection = result["collection"]
        total = Photo.objects.filter(collection=collection).count()
        if result["collection_created"] or result["photos_added"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo collection {collection.title!r} (id {collection.pk}): "
                    f"{result['photos_added']} photo(s) added, {total} in all."
                )
            )
        else:
            self.stdout.write(
                f"Demo collection already loaded (id {collection.pk}, {total} photos); nothing to do."
            )
