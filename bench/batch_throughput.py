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
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


def sql(db: str, query: str, *args):
    import psycopg2

    conn = psycopg2.connect(dbname=db, host="127.0.0.1", port=5432, user="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def django(env: dict, code: str, *args) -> dict:
    script = "import django, json, sys\ndjango.setup()\n" + code
    out = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


INGEST = """
import io
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from django.contrib.auth import get_user_model
from archive.models import Collection
from archive.services import do_ingest_photo

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
from colorize.services.runs import do_create_batch

collection = Collection.objects.get(pk=int(sys.argv[1]))
user = get_user_model().objects.get(pk=int(sys.argv[2]))
print(json.dumps(do_create_batch(user, collection, {"hints": "all"})))
"""


def start_worker(env: dict, name: str, threads: int, log_dir: Path) -> subprocess.Popen:
    worker_env = {**env, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    log = open(log_dir / f"worker-{name}.log", "ab")  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "findcolor", "-c", "1",
            "-n", f"{name}@%h", "-l", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle",
        ],
        cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(procs):
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


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
    db = f"fc_bench_{uuid.uuid4().hex[:8]}"
    redis_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "JOB_BACKEND": "celery",
        "MEDIA_ROOT": str(tmp / "media"),
        "FINDCOLOR_VAR_DIR": str(tmp / "var"),
        "LOG_LEVEL": "WARNING",
        "COLORIZE_DEVICE": "cpu",
    }
    redis = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(tmp)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sql("postgres", f'CREATE DATABASE "{db}"')
    results = []
    try:
        wait_port(redis_port)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
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
        world = django(env, INGEST, json.dumps(sizes), uuid.uuid4().hex[:6])
        cores = os.cpu_count() or 1
        for count in args.workers:
            threads = args.threads or max(1, cores // count)
            workers = [start_worker(env, f"w{count}-{i}", threads, tmp) for i in range(count)]
            try:
                # derivatives first (enqueued at ingest), so only colorization is timed
                while sql(db, "SELECT count(*) FROM archive_photo WHERE derivatives_status = 'pending'")[0][
                    0
                ]:
                    time.sleep(0.5)
                time.sleep(3)  # workers warm: imports done
                started = time.monotonic()
                batch = django(env, BATCH, str(world["collection"]), str(world["user"]))
                ids = batch["runs"]
                while True:
                    rows = sql(
                        db,
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
                rows = sql(
                    db,
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
                stop(workers)
    finally:
        redis.terminate()
        redis.wait(10)
        sql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
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
