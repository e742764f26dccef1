"""IIIF import throughput (canvases per minute) from a local manifest server.

A threaded HTTP server on 127.0.0.1 (allowed through IIIF_IMPORT_ALLOWED_HOSTS) serves a Presentation 3
manifest of N canvases, each painting a distinct 2400 x 1800 JPEG through an image service (`full/max`), with
Korean labels. The import runs as the job does (colorize.services.iiif_import, JOB_BACKEND=sync): each canvas is
fetched through the SSRF-checked client and stored through the normal ingest path. Derivatives (thumbnail, web,
gray) are made in the same thread here (sync jobs), so the number includes them; in production they are
background jobs. Target (docs/interop.md): >= 30 canvases/min.

    .venv/bin/python bench/iiif_import.py [--canvases 40]
"""

import argparse
import http.server
import io
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from standalone import standalone  # noqa: E402

standalone("bench-iiif-import-")

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from PIL import Image  # noqa: E402


def jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, 2400)[None, :] * np.linspace(0.3, 1, 1800)[:, None]
    pixels = np.clip(ramp + rng.normal(0, 12, (1800, 2400)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def serve(n: int):
    routes: dict[str, tuple[str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ctype, body = routes.get(self.path, ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    items = []
    for i in range(n):
        routes[f"/img/{i}/full/max/0/default.jpg"] = ("image/jpeg", jpeg(i))
        canvas = f"{base}/canvas/{i}"
        items.append(
            {
                "id": canvas,
                "type": "Canvas",
                "label": {"ko": [f"사진 {i + 1}"]},
                "width": 2400,
                "height": 1800,
                "items": [
                    {
                        "id": f"{canvas}/page",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas}/anno",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": canvas,
                                "body": {
                                    "id": f"{base}/img/{i}/full/max/0/default.jpg",
                                    "type": "Image",
                                    "service": [{"id": f"{base}/img/{i}", "type": "ImageService3"}],
                                },
                            }
                        ],
                    }
                ],
            }
        )
    manifest = {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{base}/manifest.json",
        "type": "Manifest",
        "label": {"ko": ["벤치마크 컬렉션"]},
        "items": items,
    }
    routes["/manifest.json"] = ("application/ld+json", json.dumps(manifest, ensure_ascii=False).encode())
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, base


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--canvases", type=int, default=40)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from archive.models import Collection
    from colorize.models import InteropJob
    from colorize.services.iiif_import import do_request_iiif_import

    httpd, base = serve(args.canvases)
    settings.IIIF_IMPORT_ALLOWED_HOSTS = [base.removeprefix("http://")]
    owner = get_user_model().objects.create_user("owner", password="x-unused-x")
    collection = Collection.objects.create(owner=owner, title="bench")
    start = time.perf_counter()
    job = do_request_iiif_import(owner, collection, f"{base}/manifest.json")
    seconds = time.perf_counter() - start
    job = InteropJob.objects.get(pk=job.pk)
    httpd.shutdown()
    print(
        json.dumps(
            {
                "canvases": job.total,
                "counts": job.report["counts"],
                "seconds": round(seconds, 1),
                "canvases_per_min": round(job.total / seconds * 60, 1),
                "image": "2400x1800 gray JPEG via image service full/max",
                "load_average_1min": os.getloadavg()[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
