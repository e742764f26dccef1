"""Handshakes under load: N sockets opened C at a time to ONE room of a real deployment, measuring how long each
waits to be accepted (the HTTP 101) and for its snapshot.

It starts its own deployment with tests/stack.py (a private redis-server, a throwaway PostgreSQL database,
daphne), seeds one photo with --hints hints and --sockets members, then opens the sockets in waves of
--concurrency (each wave waits until all of its sockets have their snapshot or failed; the sockets stay open,
so later waves join a fuller room). A socket not accepted within --open-timeout (5 s: what a browser page
tolerates, and what daphne's own handshake timeout is near) counts as dropped.

    .venv/bin/python bench/ws_connect.py --sockets 100 --concurrency 20 --hints 300

Prints a JSON report (and writes it with --out); BENCH_LOG_LEVEL=INFO also prints daphne's whole log. Numbers and how to read them: docs/hint-protocol.md,
"Handshakes under load".
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stack import Stack, reachable  # noqa: E402

SEED = """
from rest_framework.authtoken.models import Token
from accounts.models import Role
from colorize.services import hints as hint_services
from tests.factories import CollectionFactory, UserFactory, add_member, make_photo
sockets, hints = int(sys.argv[1]), int(sys.argv[2])
owner = UserFactory(username="bench-owner")
collection = CollectionFactory(owner=owner)
tokens = []
for i in range(sockets):
    user = UserFactory(username=f"bench-{i}")
    add_member(collection, user, Role.CURATOR)
    tokens.append(Token.objects.create(user=user).key)
photo = make_photo(collection)
for i in range(hints):
    hint = {"x": (i % 97) / 97, "y": (i // 97) / 97, "color": "#2e8b57", "evidence_note": "bench " * 20}
    hint_services.do_add_hint(owner, photo, hint)
print(json.dumps({"photo": photo.pk, "tokens": tokens}))
"""


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": percentile(values, 0.5),
        "p95_ms": percentile(values, 0.95),
        "max_ms": round(max(values), 1) if values else None,
        "mean_ms": round(statistics.fmean(values), 1) if values else None,
    }


async def open_one(url: str, token: str, open_timeout: float) -> dict:
    import websockets

    started = time.perf_counter()
    try:
        ws = await websockets.connect(
            url, additional_headers={"Authorization": f"Token {token}"}, open_timeout=open_timeout
        )
    except Exception as exc:  # noqa: BLE001 - a dropped or refused handshake is a result here
        return {"ok": False, "error": type(exc).__name__}
    accepted = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "snapshot":
                    break
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": f"no snapshot: {type(exc).__name__}", "ws": ws}
    done = time.perf_counter()
    asyncio.create_task(drain(ws))  # keep reading: a socket that stops reading is not what this measures
    return {
        "ok": True,
        "accept_ms": (accepted - started) * 1000,
        "snapshot_ms": (done - started) * 1000,
        "ws": ws,
    }


async def drain(ws):
    try:
        async for _ in ws:
            pass
    except Exception:  # noqa: BLE001, S110 - closed at the end of the run
        pass


async def run(args, port: int, data: dict) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/photos/{data['photo']}/"
    results = []
    started = time.perf_counter()
    for wave in range(0, args.sockets, args.concurrency):
        tokens = data["tokens"][wave : wave + args.concurrency]
        results += await asyncio.gather(*(open_one(url, t, args.open_timeout) for t in tokens))
    total = time.perf_counter() - started
    for result in results:
        if "ws" in result:
            await result.pop("ws").close()
    ok = [r for r in results if r["ok"]]
    errors: dict[str, int] = {}
    for result in results:
        if not result["ok"]:
            errors[result["error"]] = errors.get(result["error"], 0) + 1
    return {
        "sockets": args.sockets,
        "concurrency": args.concurrency,
        "hints": args.hints,
        "connected": len(ok),
        "dropped": errors,
        "accept": summary([r["accept_ms"] for r in ok]),
        "snapshot": summary([r["snapshot_ms"] for r in ok]),
        "total_s": round(total, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--hints", type=int, default=300, help="hints in the room (the snapshot's size)")
    parser.add_argument("--open-timeout", type=float, default=5.0)
    parser.add_argument("--channel-layer", choices=("core", "pubsub"), default="core")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not (reachable("127.0.0.1", 5432) and shutil.which("redis-server")):
        sys.exit("needs PostgreSQL at 127.0.0.1:5432 and redis-server")
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(
            Path(tmp),
            prefix="fc_bench_ws",
            ROOM_PREVIEW_BACKEND="off",
            CHANNEL_LAYER=args.channel_layer,
            LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        )
        stack.start_redis()
        try:
            stack.create_db()
            data = stack.django(SEED, str(args.sockets), str(args.hints), timeout=600)
            stack.start_web()
            report = asyncio.run(run(args, stack.web_port, data))
            if os.environ.get("BENCH_LOG_LEVEL"):
                print((Path(tmp) / "daphne.log").read_text(errors="replace"))
        finally:
            stack.stop()
            stack.drop_db()
    report["channel_layer"] = args.channel_layer
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
