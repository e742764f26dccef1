"""Korean and English search on 20,000 photos (PostgreSQL): the time of one search request's queries.

    .venv/bin/python bench/search_korean.py [--photos 20000] [--repeat 20] [--json out.json] [--keep]

What it does:
1. creates a throwaway PostgreSQL database of its own (127.0.0.1:5432, user postgres) and migrates it, so the
   pg_trgm and full-text GIN indexes of archive/migrations/0007 exist;
2. inserts N photos (bulk, no image files: search reads only the metadata) whose titles, descriptions and
   places mix Korean and English (about half each), from fixed word lists with a fixed seed, and ANALYZEs;
3. runs each query of QUERIES through archive.services.search.search_photos exactly as GET /api/photos/?q=
   does (the count, then the first page of 50 ids), --repeat times, and prints a Markdown table of the median
   and 95th percentile per query and over all of them (plus --json). The database is dropped unless --keep.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLACES_KO = [
    "서울역",
    "부산항",
    "인천",
    "대구",
    "광주",
    "평양",
    "경성부",
    "종로",
    "명동",
    "남대문시장",
    "한강 인도교",
]
WORDS_KO = [
    "거리",
    "앞",
    "광장",
    "피란민",
    "시장",
    "학교",
    "행진",
    "기차",
    "전차",
    "아이들",
    "사람들",
    "군인",
    "농촌",
]
PARTICLES = ["에서", "의", "에", "으로", "", ""]
PLACES_EN = ["Seoul", "Busan harbour", "Incheon", "Detroit", "New York", "Paris", "Han river bridge"]
WORDS_EN = ["street", "refugees", "market", "school", "parade", "train", "tram", "children", "soldiers", "crowd",
            "celebrating", "workers", "station", "bridge", "village"]  # fmt: skip
ERAS = ["japanese-occupation", "liberation", "korean-war", "post-war", "1910s", "1930s", "1960s", None]
QUERIES = [
    ("서울역", "Korean word inside longer words (서울역에서, 서울역의)"),
    ("서울 역", "Korean, spacing variant"),
    ("피란민 부산항", "two Korean words"),
    ("한국전쟁", "Korean era name"),
    ("시장", "two-syllable Korean word (no full trigram)"),
    ("refugees", "English word"),
    ("celebrate", "English stem (full text)"),
    ("han river bridge", "three English words"),
    ("없는낱말", "Korean, no match"),
]


def sql(db: str, query: str):
    import psycopg2

    conn = psycopg2.connect(dbname=db, host="127.0.0.1", port=5432, user="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query)
    finally:
        conn.close()


def text_ko(rng) -> tuple[str, str, str]:
    place = rng.choice(PLACES_KO)
    title = (
        f"{place}{rng.choice(PARTICLES)} {rng.choice(WORDS_KO)}{rng.choice(PARTICLES)} {rng.choice(WORDS_KO)}"
    )
    description = " ".join(
        f"{rng.choice(WORDS_KO)}{rng.choice(PARTICLES)}" for _ in range(rng.randint(4, 12))
    )
    return title, description, place


def text_en(rng) -> tuple[str, str, str]:
    place = rng.choice(PLACES_EN)
    title = f"{rng.choice(WORDS_EN).capitalize()} {rng.choice(['in', 'at', 'near'])} {place}"
    description = " ".join(rng.choice(WORDS_EN) for _ in range(rng.randint(4, 12)))
    return title, description, place


def populate(n: int, seed: int):
    from django.contrib.auth import get_user_model

    from archive.models import Collection, Era, Photo

    rng = random.Random(seed)
    owner = get_user_model().objects.create_user("bench")
    collection = Collection.objects.create(title="bench", owner=owner, visibility="public")
    eras = {e.slug: e for e in Era.objects.all()}
    batch = []
    for i in range(n):
        title, description, place = (text_ko if i % 2 == 0 else text_en)(rng)
        year = rng.randint(1900, 1999)
        era = rng.choice(ERAS)
        batch.append(
            Photo(
                collection=collection,
                original=f"bench/{i}.png",
                sha256=f"{i:064x}",
                byte_size=1000,
                format="PNG",
                width=64,
                height=48,
                mode="L",
                bit_depth=8,
                title=title,
                description=description,
                place=place,
                creator=rng.choice(["김한용", "임응식", "Unknown", "AP"]),
                date_display=str(year),
                date_from=f"{year}-01-01",
                date_to=f"{year}-12-31",
                era=eras.get(era) if era else None,
            )
        )
        if len(batch) == 2000:
            Photo.objects.bulk_create(batch)
            batch = []
    Photo.objects.bulk_create(batch)
    return collection


def one_request(collection, q: str) -> int:
    """What GET /api/photos/?q= runs: the visible photos matching q, counted, then the first page of 50."""
    from archive.models import Photo
    from archive.services.search import search_photos

    queryset = search_photos(Photo.objects.filter(collection=collection), q)
    count = queryset.count()
    list(queryset.values_list("id", flat=True)[:50])
    return count


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    args = parser.parse_args()

    db = f"findcolor_bench_search_{uuid.uuid4().hex[:8]}"
    sql("postgres", f"CREATE DATABASE {db}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        collection = populate(args.photos, args.seed)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE archive_photo")
        print(f"{args.photos} photos inserted in {time.perf_counter() - started:.1f} s (database {db})\n")

        rows, every = [], []
        for q, what in QUERIES:
            one_request(collection, q)  # warm the caches
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                found = one_request(collection, q)
                times.append((time.perf_counter() - t0) * 1000)
            every += times
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
            rows.append(
                {"q": q, "what": what, "found": found, "median_ms": statistics.median(times), "p95_ms": p95}
            )
        overall_p95 = statistics.quantiles(every, n=20)[-1]
        print("| query | what | photos found | median ms | p95 ms |")
        print("|---|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['q']} | {r['what']} | {r['found']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} |")
        print(f"| all | | | {statistics.median(every):.1f} | {overall_p95:.1f} |")
        result = {
            "photos": args.photos,
            "repeat": args.repeat,
            "queries": rows,
            "median_ms": statistics.median(every),
            "p95_ms": overall_p95,
        }
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            sql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
