"""Fan-out benchmark of the hint rooms against a running server (daphne + REDIS_URL for the real setup).

N clients in each of M rooms; hints are added by random clients of each room at a steady rate. For every
hint.add it measures the time until the hint.added frame arrives at every other client of the room (p50/p99),
and counts lost (never arrived within the grace period) and duplicated (arrived twice) events. Then, in one
room, it measures the live-preview latency: from a hint.add to the first `preview` frame that reflects it.

Setup (users, tokens, collection, photos) is made in the same database the server uses:

    DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/5 CHANNEL_LAYER=pubsub .venv/bin/daphne -p 8765 config.asgi:application &
    DATABASE_URL=... REDIS_URL=... .venv/bin/celery -A config worker -c 1 -Q findcolor &   # previews on workers
    DATABASE_URL=... .venv/bin/python bench/ws_fanout.py --url ws://127.0.0.1:8765 --clients 50 --rooms 1

Prints a JSON report (and writes it with --out). Numbers and how to read them: docs/hint-protocol.md.
"""

import argparse
import asyncio
import gc
import hashlib
import io
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(clients_per_room: int, rooms: int) -> dict:
    """Users bench-0..N-1 (curators), a collection, M photos; returns tokens and photo ids."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from PIL import Image
    from rest_framework.authtoken.models import Token

    from accounts.models import Membership, Role
    from archive.models import Collection, Photo

    User = get_user_model()
    owner, _ = User.objects.get_or_create(username="bench-owner")
    collection, _ = Collection.objects.get_or_create(title="ws_fanout bench", owner=owner)
    tokens = []
    for i in range(clients_per_room):
        user, _ = User.objects.get_or_create(username=f"bench-{i}")
        Membership.objects.get_or_create(collection=collection, user=user, defaults={"role": Role.CURATOR})
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    photos = []
    for r in range(rooms):
        rng = np.random.default_rng(r)
        arr = (np.linspace(0, 255, 320)[None, :] * np.linspace(0.3, 1, 240)[:, None]).astype(np.uint8)
        arr = np.clip(arr + rng.normal(0, 8, arr.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(arr, "L").save(buffer, format="PNG")
        data = buffer.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        photo = Photo.objects.filter(collection=collection, sha256=sha).first()
        if photo is not None and not photo.original.storage.exists(photo.original.name):
            photo.delete()  # its media folder is gone: make it again
            photo = None
        if photo is None:
            photo = Photo(
                collection=collection, sha256=sha, byte_size=len(data), format="PNG", width=320, height=240,
                mode="L", bit_depth=8, original_name=f"bench-{r}.png",
            )  # fmt: skip
            photo.original.save("bench.png", ContentFile(data), save=False)
            photo.save()
        photos.append(photo.pk)
    return {"tokens": tokens, "photos": photos}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 2)


class Client:
    def __init__(self, index: int, room: int, ws):
        self.index, self.room, self.ws = index, room, ws
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.after_event: list[float] = []  # wall-clock arrival minus the event's server timestamp
        self.previews: list[tuple[int, float, dict]] = []
        self.acks: dict[str, dict] = {}
        self.ack_at: dict[str, float] = {}
        self.errors: list[dict] = []

    async def read(self):
        import websockets

        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "hint.added":
                    self.arrivals[frame["request_id"]].append(now)
                    at = datetime.fromisoformat(frame["at"]).timestamp()
                    self.after_event.append(time.time() - at)
                elif kind == "preview":
                    self.previews.append((frame["room_revision"], now, frame))
                elif kind == "ack":
                    self.acks[frame["request_id"]] = frame
                    self.ack_at[frame["request_id"]] = now
                elif kind == "error":
                    self.errors.append(frame)
        except websockets.ConnectionClosed:
            pass


async def run(args, data) -> dict:  # noqa: C901 (one linear benchmark script: setup, measure, report)
    import websockets

    urls = [
        url.strip() for url in args.url.split(",") if url.strip()
    ]  # several server processes: round-robin
    rooms = data["photos"][: args.rooms]
    clients: list[Client] = []

    async def open_client(index: int, room_index: int):
        url = urls[(room_index * args.clients + index) % len(urls)]
        origin = f"http://{url.split('://', 1)[1]}"
        ws = await websockets.connect(
            f"{url}/ws/photos/{rooms[room_index]}/",
            additional_headers={"Authorization": f"Token {data['tokens'][index]}"},
            origin=origin,
            open_timeout=30,
            max_size=8 * 1024 * 1024,
        )
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot", snapshot
        client = Client(index, room_index, ws)
        clients.append(client)
        return client

    started = time.perf_counter()
    for room_index in range(len(rooms)):
        for i in range(args.clients):
            await open_client(i, room_index)
    connect_s = time.perf_counter() - started
    readers = [asyncio.create_task(c.read()) for c in clients]
    await asyncio.sleep(1.0)  # let the presence frames of the joins settle

    by_room: dict[int, list[Client]] = defaultdict(list)
    for c in clients:
        by_room[c.room].append(c)
    sent: dict[str, tuple[float, int, int]] = {}  # request_id -> (t0, room, sender index)
    rng = random.Random(7)
    run_id = f"{int(time.time())}"

    async def sender(room: int):
        interval = 1.0 / args.rate
        for n in range(args.hints):
            client = rng.choice(by_room[room])
            request_id = f"b{run_id}-{room}-{n}"
            hint = {
                "x": rng.random(),
                "y": rng.random(),
                "color": f"#{rng.randrange(1 << 24):06x}",
                "radius": 0.01,
            }
            sent[request_id] = (time.perf_counter(), room, client.index)
            await client.ws.send(json.dumps({"type": "hint.add", "request_id": request_id, "hint": hint}))
            await asyncio.sleep(interval)

    gc.collect()
    gc.disable()  # the clients' own garbage-collection pauses are not the server's latency
    t_send = time.perf_counter()
    await asyncio.gather(*(sender(room) for room in by_room))
    send_s = time.perf_counter() - t_send
    await asyncio.sleep(args.grace)
    gc.enable()

    latencies, lost, duplicated, acks = [], 0, 0, []
    for request_id, (t0, room, sender_index) in sent.items():
        sender_client = next(c for c in by_room[room] if c.index == sender_index)
        if request_id in sender_client.ack_at:
            acks.append(sender_client.ack_at[request_id] - t0)
        for peer in by_room[room]:
            if peer.index == sender_index:
                continue
            got = peer.arrivals.get(request_id, [])
            if not got:
                lost += 1
                continue
            duplicated += len(got) - 1
            latencies.append(got[0] - t0)
    errors = [e for c in clients for e in c.errors]
    report = {
        "servers": len(urls),
        "clients_per_room": args.clients,
        "rooms": len(rooms),
        "connections": len(clients),
        "connect_s": round(connect_s, 2),
        "hints_per_room": args.hints,
        "rate_per_room_per_s": args.rate,
        "send_s": round(send_s, 2),
        "deliveries_expected": sum((len(by_room[r]) - 1) for _, r, _ in sent.values()),
        "deliveries": len(latencies),
        "lost": lost,
        "duplicated": duplicated,
        "errors": len(errors),
        "error_codes": sorted({e["code"] for e in errors}),
        "ack_ms": {"p50": percentile(acks, 50), "p99": percentile(acks, 99)},
        # From the event row's timestamp (inside the write transaction) to arrival: commit + broadcast + delivery.
        "from_event_ms": {
            "p50": percentile([v for c in clients for v in c.after_event], 50),
            "p99": percentile([v for c in clients for v in c.after_event], 99),
        },
        "fanout_ms": {
            "p50": percentile(latencies, 50),
            "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99),
            "max": percentile(latencies, 100),
            "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
        },
    }

    if args.previews:
        probe = by_room[0][0]
        preview_latencies, preview_errors, missing = [], [], 0
        for n in range(args.previews):
            request_id = f"p{run_id}-{n}"
            already = len(probe.previews)
            t0 = time.perf_counter()
            hint = {"x": rng.random(), "y": rng.random(), "color": "#b22222", "radius": 0.02}
            await probe.ws.send(json.dumps({"type": "hint.add", "request_id": request_id, "hint": hint}))
            deadline = t0 + args.preview_timeout
            found = None
            while time.perf_counter() < deadline and found is None:
                await asyncio.sleep(0.005)
                ack = probe.acks.get(request_id)
                if ack is None:
                    continue
                for revision, at, frame in probe.previews[already:]:
                    if revision >= ack["room_revision"]:
                        found = (at, frame)
                        break
            if found is None:
                missing += 1
                continue
            if "error" in found[1]:
                preview_errors.append(found[1]["error"]["code"])
            preview_latencies.append(found[0] - t0)
            await asyncio.sleep(0.2)
        report["preview"] = {
            "samples": len(preview_latencies),
            "missing": missing,
            "errors": preview_errors,
            "p50_ms": percentile(preview_latencies, 50),
            "p99_ms": percentile(preview_latencies, 99),
            "size": [found[1].get("width"), found[1].get("height")] if preview_latencies else None,
            "bytes": len(found[1].get("image", "")) if preview_latencies else None,
        }

    for c in clients:
        await c.ws.close()
    for task in readers:
        task.cancel()
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="ws://127.0.0.1:8765", help="server URL(s), comma-separated")
    parser.add_argument("--clients", type=int, default=50, help="clients per room")
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--hints", type=int, default=200, help="hint.add frames per room")
    parser.add_argument("--rate", type=float, default=5.0, help="hint.add frames per second per room")
    parser.add_argument("--grace", type=float, default=3.0, help="seconds to wait for stragglers")
    parser.add_argument("--previews", type=int, default=0, help="preview latency samples (room 1)")
    parser.add_argument("--preview-timeout", type=float, default=30.0)
    parser.add_argument("--out", help="also write the JSON report here")
    args = parser.parse_args(argv)
    data = setup(args.clients, args.rooms)
    report = asyncio.run(run(args, data))
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
