"""The day before's call list: tomorrow's bookings with who to ring, the promise and
what changed since booking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.db.models import AuditRecord
from api.routes.call_list import _changes
from tests.api.conftest import iso, quote_body
from tests.api.routes.test_plan import book

C = "/api/v1/call-list"


def test_tomorrows_bookings_with_who_to_ring(client, staff, town, clock):
    clock.advance(days=-1)  # Sunday evening: tomorrow is the test day
    op = staff.headers("operator")
    client.patch(
        f"/api/v1/riders/{town.riders['sato']}",
        json={"channel": "email", "email": "ichiro@example.jp"},
        headers=op,
    )
    first = book(client, staff, town, "yamada")
    second = book(client, staff, town, "sato", to="station", depart_at=iso(10))
    held = client.post("/api/v1/quotes", json=quote_body(town, depart_at=iso(15)), headers=op)
    assert held.status_code == 201
    r = client.get(C, headers=op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["service_date"] == "2025-06-02"
    entries = {e["booking_id"]: e for e in body["entries"]}
    assert list(entries) == [first, second]  # by promised time; the hold is no booking
    yamada, sato = entries[first], entries[second]
    assert (yamada["rider_name"], yamada["phone"], yamada["channel"]) == (
        "山田 花子",
        "042-523-1111",
        "phone",
    )
    assert yamada["needs_call"] is True and sato["needs_call"] is False
    assert yamada["promise"] == yamada["first_promise"] and yamada["promise"]["start"]
    assert yamada["changes"] == [] and yamada["reminder"] is None
    assert (yamada["pickup_name"], yamada["dropoff_name"]) == ("自宅", "中央病院")
    client.post("/api/v1/outbox/reminders", headers=op)
    again = {e["booking_id"]: e for e in client.get(C, headers=op).json()["entries"]}
    assert again[first]["reminder"] == "queued"
    # today has nothing booked
    assert client.get(f"{C}?service_date=2025-06-01", headers=op).json()["entries"] == []


@pytest.mark.sqlite_only
def test_who_may_read_the_call_list(client, staff, town):
    for role in ("planner", "driver", "admin"):
        assert client.get(C, headers=staff.headers(role)).status_code == 403
    assert client.get(C, headers=staff.headers("dispatcher")).status_code == 200
    assert client.get(C).status_code == 401
    for bad in ("2025-13-01", "yesterday", "1990-01-01"):
        r = client.get(f"{C}?service_date={bad}", headers=staff.headers("operator"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "service_date"


def _record(seq: int, event: str, booking_id: str | None, changes=(), en="") -> AuditRecord:
    return AuditRecord(
        seq=seq,
        at=datetime(2025, 6, 1, 9, tzinfo=UTC),
        event=event,
        booking_id=booking_id,
        message_ja=event,
        message_en=en or event,
        changes=list(changes),
    )


def test_changes_since_booking_from_the_audit_trail():
    moved = {"booking_id": "b1", "before_pickup": 9 * 3600, "after_pickup": 9 * 3600 + 420}
    nudged = {"booking_id": "b1", "before_pickup": 9 * 3600, "after_pickup": 9 * 3600 + 30}
    records = [
        _record(1, "quote_held", "b1", [moved]),  # before the booking: not a change
        _record(2, "confirmed", "b1"),
        _record(3, "reoptimised", None, [nudged]),  # under a minute
        _record(4, "reoptimised", None, [moved]),
        _record(5, "promise_broken", "b1", en="late"),
        _record(6, "confirmed", "b1", en="booked; promised pickup between 09:30–09:45"),
        _record(7, "promise_restored", "b1"),
    ]
    changes = _changes(records, "b1")
    assert [c.kind for c in changes] == [
        "retimed",
        "promise_broken",
        "promise_changed",
        "promise_restored",
    ]
    assert changes[0].message_ja == "お迎え予定 09:00 → 09:07"
    assert changes[2].message_en.endswith("09:30–09:45")
