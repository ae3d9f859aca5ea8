"""Account lifecycle: account_event, the status as of the as-of, and transactions inside the active life."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict

import pytest
from banking_blocks import generate_blocks
from datagen_plugin_banking.common import DAY_MS
from datagen_plugin_banking.entities import ENTITIES
from datagen_plugin_banking.plugin import DOMAIN
from datagen_plugin_banking.validators import RULES

from datagen_kernel.api.rules import RecordIndex
from datagen_kernel.engine.validation import run_rules

AS_OF = int(DOMAIN.as_of.timestamp() * 1000)
STATUS_OF = {"OPENED": "ACTIVE", "ACTIVATED": "ACTIVE", "DORMANT": "DORMANT", "BLOCKED": "BLOCKED", "CLOSED": "CLOSED"}


@pytest.fixture(scope="module")
def bank() -> dict:
    return generate_blocks(6000, seed=4)


def test_events_and_status_follow_the_lifecycle(bank) -> None:
    accounts = {a["account_id"]: a for a in bank["account"]}
    events = defaultdict(list)
    for e in bank["account_event"]:
        events[e["account_id"]].append(e)
        assert e["customer_id"] == accounts[e["account_id"]]["customer_id"] and e["occurred_at"] < AS_OF
    assert set(events) == set(accounts)
    kinds = Counter()
    for aid, evs in events.items():
        a = accounts[aid]
        assert [e["occurred_at"] for e in evs] == sorted(e["occurred_at"] for e in evs)
        assert evs[0]["event_type"] == "OPENED" and evs[0]["occurred_at"] == a["created_at"]
        assert a["status"] == STATUS_OF[evs[-1]["event_type"]]  # the status as of the as-of
        assert a["updated_at"] == (None if a["status"] == "ACTIVE" else evs[-1]["occurred_at"])
        types = [e["event_type"] for e in evs]
        kinds.update(set(types))
        if "ACTIVATED" in types:
            assert evs[1]["event_type"] == "ACTIVATED"
            assert 0 < evs[1]["occurred_at"] - a["created_at"] <= 7 * DAY_MS
            assert "DORMANT" not in types
        if "DORMANT" in types:
            assert types == ["OPENED", "DORMANT"] and evs[1]["occurred_at"] - a["created_at"] == 90 * DAY_MS
        assert len(set(types) & {"BLOCKED", "CLOSED"}) <= 1
    n = len(accounts)
    assert 0.93 <= kinds["ACTIVATED"] / n <= 0.97  # ~95% (a few opened hours before the as-of)
    assert 0.035 <= kinds["DORMANT"] / n <= 0.055  # ~5%, if opened 90+ days before the as-of
    assert 0.005 <= kinds["BLOCKED"] / n <= 0.015  # ~1%
    # ~3% a year: accounts live about 1.5 years on average before the as-of
    years = sum(min(AS_OF - a["created_at"], 3 * 365 * DAY_MS) for a in accounts.values()) / (365 * DAY_MS)
    assert 0.02 <= kinds["CLOSED"] / years <= 0.04


def test_transactions_stay_inside_the_active_life(bank) -> None:
    life = defaultdict(dict)
    for e in bank["account_event"]:
        life[e["account_id"]][e["event_type"]] = e["occurred_at"]
    history = AS_OF - 365 * DAY_MS
    firsts = {}
    for t in bank["transaction"]:
        ev = life[t["account_id"]]
        assert "ACTIVATED" in ev and t["timestamp"] >= ev["ACTIVATED"]  # dormant accounts never move
        end = min(ev.get("BLOCKED", AS_OF), ev.get("CLOSED", AS_OF))
        assert t["timestamp"] < end
        if t["account_id"] not in firsts or t["timestamp"] < firsts[t["account_id"]]["timestamp"]:
            firsts[t["account_id"]] = t
    for aid, ev in life.items():
        if "ACTIVATED" in ev and ev["ACTIVATED"] >= history:  # activated inside the history: a first deposit
            first = firsts[aid]
            assert (first["timestamp"], first["transaction_type"], first["status"]) == (
                ev["ACTIVATED"], "DEPOSIT", "COMPLETED")


def test_lifecycle_rules_catch_their_corruption(bank) -> None:
    specs = {spec.name: spec for spec in ENTITIES}
    small = generate_blocks(400, seed=4)

    def rules(records: dict, entity: str) -> list:
        found = run_rules(specs[entity], records[entity], [r for r in RULES if r.entity == entity],
                          RecordIndex(specs, records))
        return sorted({v.rule for v in found})

    for entity in ("account", "transaction", "account_event"):
        assert rules(small, entity) == [], entity
    bad = copy.deepcopy(small)
    closed = next(a for a in bad["account"] if a["status"] in ("CLOSED", "BLOCKED")
                  and any(t["account_id"] == a["account_id"] for t in bad["transaction"]))
    late = next(t for t in bad["transaction"] if t["account_id"] == closed["account_id"])
    late["timestamp"] = closed["updated_at"] + 1
    assert rules(bad, "transaction") == ["account-lifecycle"]
    closed["updated_at"] = None
    assert rules(bad, "account") == ["account-status"]
    bad = copy.deepcopy(small)
    dormant = next(a for a in bad["account"] if a["status"] == "DORMANT")
    dormant["status"] = "ACTIVE"
    dormant["updated_at"] = None
    assert rules(bad, "account_event") == ["account-status"]
