"""IIIF tiles of a 40 MP scan under 20 concurrent requests: p50/p95 latency and the server's peak RSS.

A real daphne server (SQLite, its own var folder, anonymous requests) serves a synthetic 7300 x 5480 scan
(40 MP, 8-bit gray by default, or --rgb) ingested through the normal path (its derivative job included) into a
public collection. The first open (info.json and one tile) is timed apart; then `--clients` threads request
256-px tiles, each a different tile (so the tile cache does not answer them: the cost measured is a real crop,
resize and encode), spread over every pyramid level as a deep-zoom viewer asks for them; then the same tiles
again (answered from the tile cache, as when a viewer pans back). Server and client CPU per tile come from
/proc. Targets (docs/interop.md): p95 <= 100 ms, peak RSS <= 1.5 GB.

    .venv/bin/python bench/iiif_tiles.py [--clients 20] [--tiles 600] [--rgb]
"""

import argparse
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stack import free_port  # noqa: E402

W, H = 7300, 5480

SEED = """
import django, sys
django.setup()
from django.contrib.auth import get_user_model
from archive.models import Collection, Visibility
from archive.services.ingest import do_ingest_photo
owner = get_user_model().objects.create_user("owner", password="x-unused-x")
collection = Collection.objects.create(owner=owner, title="Bench", visibility=Visibility.PUBLIC)
with open(sys.argv[1], "rb") as f:
    photo = do_ingest_photo(owner, collection, f, "scan.tif", None)
print(photo.pk)
"""


def make_scan(path: Path, rgb: bool) -> None:
    import pyvips

    x = pyvips.Image.xyz(W, H)
    gray = ((x[0] * 7 + x[1] * 3) % 251 + (x[0] // 97) % 5).cast("uchar")
    if rgb:
        bands = [(gray // 2 + 40).cast("uchar"), (255 - gray).cast("uchar")]
        image = gray.bandjoin(bands).copy(interpretation="srgb")
    else:
        image = gray
    image.tiffsave(str(path), compression="deflate")  # a plain (strip) TIFF, as scanners write them


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tile_urls(base: str, count: int) -> list[str]:
    urls = []
    factor = 1
    levels = []
    while max(W, H) / factor > 256:
        levels.append(factor)
        factor *= 2
    levels.append(factor)
    for factor in levels:
        span = 256 * factor
        for row in range(math.ceil(H / span)):
            for col in range(math.ceil(W / span)):
                x, y = col * span, row * span
                w, h = min(span, W - x), min(span, H - y)
                urls.append(f"{base}/{x},{y},{w},{h}/{math.ceil(w / factor)},/0/default.jpg")
    random.Random(1).shuffle(urls)
    return urls[:count]


def burst(urls: list[str], clients: int, server_pid: int) -> tuple[dict, list[str]]:
    """`clients` threads share `urls`, each asking for its next tile when the last one came (decoded and
    checked); returns the latencies, the rate and the CPU each side used per tile."""
    from PIL import Image

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(mine):
        for url in mine:
            t0 = time.perf_counter()
            try:
                data = urllib.request.urlopen(url, timeout=60).read()
                Image.open(io.BytesIO(data)).verify()
            except Exception as exc:  # counted, never hidden
                errors.append(f"{url}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=client, args=(urls[i::clients],)) for i in range(clients)]
    server_cpu, client_cpu = cpu_seconds(server_pid), cpu_seconds(os.getpid())
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server_cpu = cpu_seconds(server_pid) - server_cpu
    client_cpu = cpu_seconds(os.getpid()) - client_cpu
    latencies.sort()
    n = max(1, len(latencies))
    return {
        "tiles": len(latencies),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_ms": round(1000 * latencies[-1], 1),
        "tiles_per_s": round(len(latencies) / wall, 1),
        "server_cpu_ms_per_tile": round(1000 * server_cpu / n, 1),
        "client_cpu_ms_per_tile": round(1000 * client_cpu / n, 1),
    }, errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--tiles", type=int, default=600)
    parser.add_argument("--rgb", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT")}
        env.update(
            FINDCOLOR_VAR_DIR=str(var),
            JOB_BACKEND="sync",
            DEBUG="0",
            SECURE_SSL_REDIRECT="0",  # plain http on 127.0.0.1, as behind the TLS proxy
            SECRET_KEY="bench-" + "x" * 40,
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONPATH=str(ROOT),
            OMP_NUM_THREADS="1",
            LOG_LEVEL="WARNING",
            # The model is not used by tiles: its warm-up at start (a background thread) would compete with them.
            MODEL_WARM_ON_START="0",
        )
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        scan = var / "scan.tif"
        make_scan(scan, args.rgb)
        seed = var / "seed.py"
        seed.write_text(SEED)
        out = subprocess.run(
            [sys.executable, str(seed), str(scan)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        photo_id = out.stdout.split()[-1]
        port = free_port()
        log = open(var / "daphne.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/iiif/3/photo-{photo_id}"
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except Exception:
                    if server.poll() is not None:
                        raise RuntimeError((var / "daphne.log").read_text()[-3000:]) from None
                    time.sleep(0.2)
            rss_before = peak_rss_mb(server.pid)
            start = time.perf_counter()
            info = json.load(urllib.request.urlopen(f"{base}/info.json"))
            info_s = time.perf_counter() - start
            urllib.request.urlopen(f"{base}/0,0,256,256/256,/0/default.jpg").read()
            first_open_s = time.perf_counter() - start
            assert (info["width"], info["height"]) == (W, H)

            urls = tile_urls(base, args.tiles)
            fresh, errors = burst(urls, args.clients, server.pid)
            again, errors_again = burst(urls, args.clients, server.pid)  # a viewer panning back: cached tiles
            result = {
                "scan": f"{W}x{H} {'RGB' if args.rgb else 'gray'} ({W * H / 1e6:.1f} MP)",
                "clients": args.clients,
                "errors": len(errors) + len(errors_again),
                "info_json_s": round(info_s, 3),
                "first_open_s (info.json + first tile)": round(first_open_s, 2),
                "new tiles": fresh,
                "the same tiles again (tile cache)": again,
                "server_rss_idle_mb": round(rss_before, 1),
                "server_peak_rss_mb": round(peak_rss_mb(server.pid), 1),
                "cpus": os.cpu_count(),
                "load_average_1min": os.getloadavg()[0],
            }
            errors += errors_again
            print(json.dumps(result, indent=2))
            if errors:
                print("\n".join(errors[:5]), file=sys.stderr)
        finally:
            server.terminate()
            server.wait(10)
            log.close()


if __name__ == "__main__":
    main()
