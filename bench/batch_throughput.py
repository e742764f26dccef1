"""Batch throughput of colorization runs: photos per minute with 1 vs 2 Celery workers (CPU).

    .venv/bin/python bench/batch_throughput.py [--photos 20] [--min-mp 2] [--max-mp 12] [--workers 1 2]
                                              [--threads N] [--json out.json]

What it does, end to end with the real stack:
1. creates a throwaway PostgreSQL database (127.0.0.1:5432, user postgres) and starts a private redis-server
   on a free port (the shared one is left alone), migrates;
2. ingests N synthetic grayscale photos whose sizes are spread evenly over [min-mp, max-mp] megapixels (4:3
   JPEGs with gradients, shapes and film grain) and waits until their derivatives are made;
3. for each worker count W: starts W `celery -A config worker -c 1` processes (torch threads per worker:
   --threads, default cores // W), POSTs one batch (`POST /api/collections/{id}/runs/`-equivalent service call),
   and measures the wall time from enqueue until every run is done; then stops the workers.
Prints a Markdown table (and --json) with photos/minute, megapixels/minute and the mean run duration.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stack import Stack  # noqa: E402  (the same deployment the worker tests start)

INGEST = """
import io
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from django.contrib.auth import get_user_model
from archive.models import Collection
from archive.services.ingest import do_ingest_photo

sizes = json.loads(sys.argv[1])
user = get_user_model().objects.create(username="bench-" + sys.argv[2])
collection = Collection.objects.create(title="bench " + sys.argv[2], owner=user)
rng = np.random.default_rng(0)
ids = []
for i, (w, h) in enumerate(sizes):
    small = Image.fromarray((rng.random((h // 16, w // 16)) * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(3)
    )
    image = small.resize((w, h), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w - 10)), int(rng.integers(0, h - 10))
        x1, y1 = x0 + int(rng.integers(10, w // 3)), y0 + int(rng.integers(10, h // 3))
        draw.rectangle((x0, y0, x1, y1), fill=int(rng.integers(0, 255)))
    grain = rng.normal(0, 6, (h, w))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    ids.append(do_ingest_photo(user, collection, buffer, f"bench-{i}.jpg").pk)
print(json.dumps({"collection": collection.pk, "user": user.pk, "photos": ids}))
"""

BATCH = """
from django.contrib.auth import get_user_model
from archive.models import Collection
from colorize.services.runs.request import do_create_batch

collection = Collection.objects.get(pk=int(sys.argv[1]))
user = get_user_model().objects.get(pk=int(sys.argv[2]))
print(json.dumps(do_create_batch(user, collection, {"hints": "all"})))
"""


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)  # run the finally blocks: stop workers and redis, drop the database


def main():
    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGINT, _exit_on_term)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--min-mp", type=float, default=2.0)
    parser.add_argument("--max-mp", type=float, default=12.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads per worker (0: cores // workers)"
    )
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fc-bench-"))
    stack = Stack(tmp, prefix="fc_bench", COLORIZE_DEVICE="cpu")
    stack.start_redis()
    results = []
    try:
        stack.create_db()
        n = args.photos
        mps = [args.min_mp + (args.max_mp - args.min_mp) * i / max(n - 1, 1) for i in range(n)]
        sizes = [
            (int((mp * 1e6 * 4 / 3) ** 0.5) // 8 * 8, int((mp * 1e6 * 3 / 4) ** 0.5) // 8 * 8) for mp in mps
        ]
        total_mp = sum(w * h for w, h in sizes) / 1e6
        print(
            f"ingesting {n} photos, {total_mp:.1f} MP in all ({min(mps):.1f}-{max(mps):.1f} MP each)",
            flush=True,
        )
        world = stack.django(INGEST, json.dumps(sizes), uuid.uuid4().hex[:6], timeout=1800)
        cores = os.cpu_count() or 1
        for count in args.workers:
            threads = args.threads or max(1, cores // count)
            for i in range(count):
                stack.start_worker(
                    f"w{count}-{i}", OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads)
                )
            try:
                # derivatives first (enqueued at ingest), so only colorization is timed
                while stack.sql("SELECT count(*) FROM archive_photo WHERE derivatives_status = 'pending'")[0][
                    0
                ]:
                    time.sleep(0.5)
                time.sleep(3)  # workers warm: imports done
                started = time.monotonic()
                batch = stack.django(BATCH, str(world["collection"]), str(world["user"]), timeout=1800)
                ids = batch["runs"]
                while True:
                    rows = stack.sql(
                        "SELECT status, count(*) FROM colorize_run WHERE id = ANY(%s) GROUP BY status",
                        ids,
                    )
                    counts = dict(rows)
                    finished = sum(v for k, v in counts.items() if k in ("done", "failed", "cancelled"))
                    if finished == len(ids):
                        break
                    if time.monotonic() - started > args.timeout:
                        raise TimeoutError(f"batch not finished: {counts}")
                    time.sleep(1)
                wall = time.monotonic() - started
                rows = stack.sql(
                    "SELECT (metrics->>'duration_s')::float, COALESCE((metrics->>'write_s')::float, 0) "
                    "FROM colorize_version WHERE run_id = ANY(%s)",
                    ids,
                )
                durations = [r[0] for r in rows]
                writes = [r[1] for r in rows]
                row = {
                    "workers": count,
                    "torch_threads_per_worker": threads,
                    "photos": len(ids),
                    "failed": counts.get("failed", 0),
                    "megapixels": round(total_mp, 1),
                    "wall_s": round(wall, 1),
                    "photos_per_min": round(len(ids) / wall * 60, 2),
                    "mp_per_min": round(total_mp / wall * 60, 1),
                    "mean_run_s": round(sum(durations) / max(len(durations), 1), 1),
                    "mean_write_s": round(sum(writes) / max(len(writes), 1), 1),
                    "load_avg_1m": round(os.getloadavg()[0], 1),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
            finally:
                stack.stop_workers(60)
    finally:
        stack.stop()
        stack.drop_db()
        shutil.rmtree(tmp, ignore_errors=True)

    import platform

    print(f"\n{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, torch CPU\n")
    print(
        "| workers | torch threads each | photos | MP | wall (s) | photos/min | MP/min | mean model (s) "
        "| mean write (s) | load avg at end |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['workers']} | {r['torch_threads_per_worker']} | {r['photos']} | {r['megapixels']} | {r['wall_s']} "
            f"| {r['photos_per_min']} | {r['mp_per_min']} | {r['mean_run_s']} | {r['mean_write_s']} "
            f"| {r['load_avg_1m']} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
