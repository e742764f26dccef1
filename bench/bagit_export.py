"""BagIt export throughput (MB of payload per minute) and memory: is it flat as the collection grows?

Two collections of incompressible 8-bit gray TIFF originals (3000 x 3000, 9 MB each) are exported with
colorize.bagit_export (payload written file by file, bag made by bagit-python in a child process, zipped to a
temporary file, stored); for each, the wall time, the payload MB/min and the peak RSS of this process (sampled)
and of the bagit child (getrusage). Target (docs/interop.md): >= 200 MB/min, peak memory independent of the
collection's size.

    .venv/bin/python bench/bagit_export.py [--small 4] [--large 24]
"""

import argparse
import io
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from standalone import standalone  # noqa: E402

standalone("bench-bagit-")

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from PIL import Image  # noqa: E402

SIDE = 3000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Peak:
    """The highest RSS of this process seen while the block runs (sampled every 20 ms)."""

    def __enter__(self):
        self.peak = rss_mb()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def make_collection(owner, n: int, title: str):
    from archive.models import Collection
    from archive.services.ingest import do_ingest_photo

    collection = Collection.objects.create(owner=owner, title=title)
    rng = np.random.default_rng(len(title) + n)
    for i in range(n):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (SIDE, SIDE), dtype=np.uint8), "L").save(buffer, format="TIFF")
        buffer.seek(0)
        do_ingest_photo(owner, collection, buffer, f"scan-{i}.tif", {"title": f"스캔 {i}"})
    return collection


def export(owner, collection) -> dict:
    from colorize.bagit_export import do_request_bagit_export
    from colorize.models import InteropJob

    payload = sum(p.byte_size for p in collection.photos.all())
    with Peak() as peak:
        start = time.perf_counter()
        job = do_request_bagit_export(owner, collection, "http://localhost/")  # JOB_BACKEND=sync: runs now
        seconds = time.perf_counter() - start
    job = InteropJob.objects.get(pk=job.pk)
    assert job.status == "done", job.error
    return {
        "photos": collection.photos.count(),
        "originals_mb": round(payload / 1e6, 1),
        "zip_mb": round(job.byte_size / 1e6, 1),
        "seconds": round(seconds, 1),
        "mb_per_min": round(payload / 1e6 / seconds * 60, 1),
        "peak_rss_mb": round(peak.peak, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=4)
    parser.add_argument("--large", type=int, default=24)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user("owner", password="x-unused-x")
    small = make_collection(owner, args.small, "small")
    large = make_collection(owner, args.large, "large")
    rss_before = rss_mb()
    results = {
        "rss_before_mb": round(rss_before, 1),
        "small": export(owner, small),
        "large": export(owner, large),
    }
    results["bagit_child_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    results["load_average_1min"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
