"""A FAKE ``datagen run --progress-json -``: replays recorded progress events (tests only).

Usage: python fake_datagen_run.py FIXTURE.jsonl DELAY_S [datagen run arguments...]. It prints
the fixture's events one by one, DELAY_S apart, and a line on stderr for each; on SIGINT it
stops and prints an interrupted summary with exit code 130, as the real command does.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

stopped = False


def _stop(signum: int, frame: object) -> None:
    global stopped
    stopped = True


signal.signal(signal.SIGINT, _stop)
fixture, delay = sys.argv[1], float(sys.argv[2])
events = [json.loads(line) for line in Path(fixture).read_text(encoding="utf-8").splitlines() if line.strip()]
for event in events:
    if stopped:
        break
    if event["event"] == "summary":
        break
    print(json.dumps(event), flush=True)
    print(f"fake run: {event['event']} {event.get('phase', '')}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and not stopped:
        time.sleep(0.01)
summary = dict(events[-1])
if stopped:
    summary.update(ok=False, stopped_by="SIGINT", exit_code=130)
print(json.dumps(summary), flush=True)
sys.exit(summary["exit_code"])
