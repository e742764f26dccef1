"""The UI's timing goals, checked on the numbers the browser test recorded (tests/artifacts/ui-timings.json,
written by tests/browser/test_ui_timing.py): workspace ready on a 12 MP photo within 5 s (median), a zoom/pan
redraw within one 60 Hz frame (16 ms mean), a hint on the peer's screen within 1 s (p95).

    python bench/ui_timing_goals.py [tests/artifacts/ui-timings.json]

Exit status 1 when a goal is missed. Timing belongs here, not in the test suite (a loaded machine is slow,
not wrong).
"""

import json
import sys
from pathlib import Path

GOALS = (
    ("workspace ready, median ms", ("workspace_ready_ms", "median"), 5000),
    ("zoom/pan redraw, mean ms", ("zoom_pan", "mean_draw_ms"), 16),
    ("hint to peer, p95 ms", ("hint_to_peer_ms", "p95"), 1000),
)


def check(timings: dict) -> list[str]:
    missed = []
    for label, (group, key), limit in GOALS:
        value = timings[group][key]
        verdict = "ok" if value < limit else "MISSED"
        print(f"{label:32} {value:>10} < {limit:<6} {verdict}")
        if value >= limit:
            missed.append(label)
    return missed


def main(argv: list[str]) -> int:
    path = Path(
        argv[0] if argv else Path(__file__).resolve().parent.parent / "tests/artifacts/ui-timings.json"
    )
    if not path.is_file():
        print(f"{path}: no recorded timings; run `pytest -m browser tests/browser/test_ui_timing.py` first")
        return 2
    return 1 if check(json.loads(path.read_text())) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
