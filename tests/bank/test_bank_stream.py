"""Stream mode on the replay clock: 20 simulated seconds of the whole bank pass ``datagen validate``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
from bank_testkit import invoke, read_lines

from datagen_kernel import make_plugin_host
from datagen_kernel.api.schema import Kind
from datagen_kernel.engine.stream import ManualClock, use_clock

BANK_EVENTS = ("transaction", "card_transaction", "installment", "trade", "account_event")


def test_twenty_simulated_seconds_of_replay_validate(tmp_path: Path) -> None:
    out = tmp_path / "stream"
    summary = tmp_path / "summary.json"
    clock = ManualClock()
    with use_clock(clock):  # advances only when the stream sleeps: 20 s of stream, no real wait
        result = invoke(["run", "--customers", "600", "--stream", "--stream-clock", "replay", "--rate", "500",
                         "--duration", "20", "--sink", "json", "-q", "-o", f"json.path={out}",
                         "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    data = json.loads(summary.read_text())
    assert data["stopped_by"] == "duration" and 19.9 <= clock.monotonic() <= 20.1
    lines = read_lines(out)
    events = [n for n, spec in make_plugin_host().registry.entity_specs().items() if spec.kind == Kind.EVENT]
    emitted = {name: len(lines.get(name, [])) for name in events}
    assert 500 * 20 * 0.95 <= sum(emitted.values()) <= 500 * 20 + 50  # the rate, on the simulated clock
    assert all(emitted[name] > 0 for name in BANK_EVENTS), emitted  # every bank event entity interleaved
    checked = invoke(["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "no violations" in checked.output
    # replayed instants: trades inside the B3 session, in time order per block
    trades = [orjson.loads(line) for line in lines["trade"]]
    hours = Counter(t["executed_at"][11:13] for t in trades)
    assert set(hours) <= {f"{h:02d}" for h in range(10, 17)}, hours


def test_the_default_clock_still_stamps_now(tmp_path: Path) -> None:
    out = tmp_path / "now"
    clock = ManualClock(start_ms=1_800_000_000_000)
    with use_clock(clock):
        result = invoke(["run", "--customers", "100", "--stream", "--rate", "200", "--duration", "2",
                         "--sink", "json:transaction", "-q", "-o", f"json.path={out}"])
    assert result.exit_code == 0, result.output
    stamps = {orjson.loads(line)["timestamp"][:10] for line in read_lines(out)["transaction"]}
    assert stamps == {"2027-01-15"}  # the clock's instant (1.8e12 ms), in Sao Paulo time


def test_a_bad_stream_clock_is_one_clear_error(tmp_path: Path) -> None:
    result = invoke(["run", "--customers", "3", "--stream", "--stream-clock", "later", "--sink", "json",
                     "-o", f"json.path={tmp_path}"])
    assert result.exit_code != 0 and "--stream-clock" in result.output
