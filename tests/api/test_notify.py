"""Messages to riders: each promise, change, broken promise and reminder reaches the
sender once, with the right words and address; nothing personal goes to the logs."""

from __future__ import annotations

import logging
import warnings
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from api.main import create_app
from api.notify import (
    FAILED,
    QUEUED,
    SENT,
    MemorySender,
    Outgoing,
    compose,
    make_sender,
    messages_for_entries,
)
from api.vocab import MessageKind
from dispatch.audit import AuditEntry, AuditEvent
from tests.api.conftest import iso, quote_body
from tests.api.routes.test_plan import book, seed_town

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*install `httpx2`", category=UserWarning)
    from fastapi.testclient import TestClient

OUTBOX = "/api/v1/outbox"


@pytest.fixture
def sender() -> MemorySender:
    return MemorySender(name="test")


@pytest.fixture
def client(settings, town_graph, clock, sender):
    with TestClient(create_app(settings, graph=town_graph, clock=clock, sender=sender)) as c:
        yield c


def channels(client, staff, town) -> None:
    """佐藤 by SMS, 鈴木 by e-mail; 山田 keeps the phone (the operator calls)."""
    op = staff.headers("operator")
    r = client.patch(f"/api/v1/riders/{town.riders['sato']}", json={"channel": "sms"}, headers=op)
    assert r.status_code == 200 and r.json()["channel"] == "sms"
    r = client.patch(
        f"/api/v1/riders/{town.riders['suzuki']}",
        json={"channel": "email", "email": "jiro@example.jp"},
        headers=op,
    )
    assert r.status_code == 200 and r.json()["email"] == "jiro@example.jp"


def test_each_confirmation_reaches_the_sender_addressed_to_the_riders_channel(
    client, staff, town, sender
):
    channels(client, staff, town)
    ids = {
        "yamada": book(client, staff, town, "yamada"),
        "sato": book(client, staff, town, "sato", to="station", depart_at=iso(9, 30)),
        "suzuki": book(client, staff, town, "suzuki", to="city_hall", depart_at=iso(10)),
    }
    got = {m.booking_id: m for m in sender.sent}
    assert set(got) == set(ids.values())
    assert all(m.kind is MessageKind.CONFIRMATION for m in sender.sent)
    yamada, sato, suzuki = (got[ids[k]] for k in ("yamada", "sato", "suzuki"))
    assert (yamada.channel, yamada.address) == ("phone", "042-523-1111")
    assert (sato.channel, sato.address) == ("sms", "042-524-2222")
    assert (suzuki.channel, suzuki.address) == ("email", "jiro@example.jp")
    booking = client.get(f"/api/v1/bookings/{ids['yamada']}", headers=staff.headers("operator"))
    window = booking.json()["promise"]
    start, end = window["start"][11:16], window["end"][11:16]
    assert yamada.body_ja.startswith(f"6月2日のご予約（{ids['yamada']}）を承りました")
    assert f"お迎え予定時間帯 {start}〜{end}" in yamada.body_ja and "中央病院" in yamada.body_ja
    assert f"pickup between {start}" in yamada.body_en and ids["yamada"] in yamada.body_en
    listed = client.get(OUTBOX, headers=staff.headers("operator")).json()
    assert {m["status"] for m in listed} == {SENT} and len(listed) == 3
    assert {m["sender"] for m in listed} == {"test"}
    # a held quote, a release and a cancellation say nothing new
    q = client.post(
        "/api/v1/quotes",
        json=quote_body(town, depart_at=iso(14)),
        headers=staff.headers("operator"),
    ).json()
    client.delete(f"/api/v1/quotes/{q['id']}", headers=staff.headers("operator"))
    client.post(f"/api/v1/bookings/{ids['sato']}/cancel", headers=staff.headers("operator"))
    assert len(sender.sent) == 3


def late_by_40_min(client, staff) -> list[str]:
    """car-1 reports a 40-minute delay: the bookings whose promise broke."""
    r = client.post(
        "/api/v1/vehicles/car-1/events",
        json={"type": "delayed", "delay_min": 40},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 200, r.text
    return [b["booking_id"] for b in r.json()["broken"]]


def test_a_broken_promise_is_a_message(client, staff, sender):
    town = seed_town(client, staff, vehicles=(("car-1", 3, 0),))
    bid = book(client, staff, town)
    assert late_by_40_min(client, staff) == [bid]
    [confirmed, broken] = sender.sent
    assert confirmed.kind is MessageKind.CONFIRMATION and broken.kind is MessageKind.BROKEN
    assert broken.booking_id == bid and broken.address == "042-523-1111"
    assert "間に合わないおそれ" in broken.body_ja and "担当者からご連絡します" in broken.body_ja
    assert "we may miss the promise" in broken.body_en
    kinds = [m["kind"] for m in client.get(OUTBOX, headers=staff.headers("dispatcher")).json()]
    assert kinds == ["broken", "confirmation"]  # newest first


def test_reminders_the_day_before_once_per_booking(client, staff, town, sender, clock):
    clock.advance(days=-1)  # Sunday: tomorrow is the test day
    bid = book(client, staff, town)
    other = book(client, staff, town, "sato", to="station", depart_at=iso(9, 30))
    r = client.post(f"{OUTBOX}/reminders", headers=staff.headers("operator"))
    assert r.status_code == 200 and r.json() == {"service_date": "2025-06-02", "queued": 2}
    reminders = [m for m in sender.sent if m.kind is MessageKind.REMINDER]
    assert {m.booking_id for m in reminders} == {bid, other}
    first = next(m for m in reminders if m.booking_id == bid)
    assert first.body_ja.startswith(f"明日 6月2日のご予約（{bid}）") and "自宅 → 中央病院" in (
        first.body_ja
    )
    assert first.body_en.startswith("Tomorrow, Booking")
    again = client.post(
        f"{OUTBOX}/reminders?service_date=2025-06-02", headers=staff.headers("operator")
    )
    assert again.json()["queued"] == 0
    assert len([m for m in sender.sent if m.kind is MessageKind.REMINDER]) == 2
    only = client.get(f"{OUTBOX}?kind=reminder&booking_id={bid}", headers=staff.headers("operator"))
    assert [m["status"] for m in only.json()] == [SENT]


@pytest.mark.sqlite_only
def test_who_may_read_the_outbox_and_bad_filters(client, staff, town):
    for role in ("planner", "driver", "admin"):
        assert client.get(OUTBOX, headers=staff.headers(role)).status_code == 403
        assert client.post(f"{OUTBOX}/reminders", headers=staff.headers(role)).status_code == 403
    assert client.get(OUTBOX).status_code == 401
    for query in ("status=nope", "kind=nope", "limit=0", "service_date=1999-01-01"):
        r = client.get(f"{OUTBOX}?{query}", headers=staff.headers("operator"))
        assert r.status_code == 422 and r.json()["errors"], query
    r = client.post(
        f"{OUTBOX}/reminders?service_date=2099-01-01", headers=staff.headers("operator")
    )
    assert r.status_code == 422


@pytest.mark.sqlite_only
def test_riders_channel_needs_its_address(client, staff, town):
    op = staff.headers("operator")
    rid = town.riders["yamada"]
    r = client.patch(f"/api/v1/riders/{rid}", json={"channel": "email"}, headers=op)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    r = client.patch(f"/api/v1/riders/{rid}", json={"email": "not an address"}, headers=op)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/riders/{rid}", json={"channel": "fax"}, headers=op)
    assert r.status_code == 422
    assert client.get(f"/api/v1/riders/{rid}", headers=op).json()["channel"] == "phone"


class Failing:
    name = "broken-gateway"

    def send(self, message: Outgoing) -> str:
        raise ConnectionError("gateway down")


def test_a_failing_sender_marks_the_message_and_the_booking_stands(
    settings, town_graph, clock, staff, caplog
):
    caplog.set_level(logging.DEBUG)
    app = create_app(settings, graph=town_graph, clock=clock, sender=Failing())
    with TestClient(app) as client:
        town = seed_town(client, staff)
        bid = book(client, staff, town)
        b = client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator")).json()
        assert b["status"] == "confirmed"
        [m] = client.get(OUTBOX, headers=staff.headers("operator")).json()
        assert m["status"] == FAILED and m["error"] == "ConnectionError"
    assert f"booking {bid}" in caplog.text


def test_the_database_sender_leaves_messages_queued(settings, town_graph, clock, staff):
    assert make_sender("database").name == "database"
    with pytest.raises(ValueError, match="unknown sender"):
        make_sender("pigeon")
    with TestClient(create_app(settings, graph=town_graph, clock=clock)) as client:
        town = seed_town(client, staff)
        book(client, staff, town)
        [m] = client.get(OUTBOX, headers=staff.headers("operator")).json()
        assert m["status"] == QUEUED and m["sender"] == "database" and m["sent_at"] is None


def test_no_names_or_phone_numbers_in_the_logs(client, staff, sender, caplog):
    caplog.set_level(logging.DEBUG)
    town = seed_town(client, staff, vehicles=(("car-1", 3, 0),))
    channels(client, staff, town)
    book(client, staff, town)
    book(client, staff, town, "sato", to="station", depart_at=iso(10))
    late_by_40_min(client, staff)
    client.post(f"{OUTBOX}/reminders?service_date=2025-06-02", headers=staff.headers("operator"))
    assert len(sender.sent) >= 3
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for personal in ("山田", "花子", "佐藤", "042-523-1111", "0425242222", "jiro@example.jp"):
        assert personal not in text, personal


def _row(**kw):
    tokyo = ZoneInfo("Asia/Tokyo")
    base = dict(
        id="20250602-001",
        kind="ride",
        service_date=date(2025, 6, 2),
        pickup_name="自宅",
        dropoff_name="中央病院",
        promise_start=datetime(2025, 6, 2, 9, 5, tzinfo=tokyo),
        promise_end=datetime(2025, 6, 2, 9, 20, tzinfo=tokyo),
    )
    return SimpleNamespace(**(base | kw))


def test_words_of_each_kind():
    tokyo = ZoneInfo("Asia/Tokyo")
    row = _row()
    ja, en = compose(MessageKind.CHANGE, row, tokyo, words=("お迎え予定時間帯 09:30〜09:45", "x"))
    assert "時間が変わりました" in ja and "09:30〜09:45" in ja and "has changed" in en
    ja, en = compose(MessageKind.CHANGE, row, tokyo, restored=True)
    assert "お約束のお迎え予定時間帯 09:05〜09:20に戻りました" in ja
    assert "back within its promise: pickup between 09:05-09:20" in en
    ja, _ = compose(MessageKind.REMINDER, _row(kind="delivery"), tokyo)
    assert "お届け予定時間帯 09:05〜09:20" in ja


class _Session:
    """Just enough of a session for `messages_for_entries` to pick events."""

    def get(self, _model, booking_id):
        return _row(id=booking_id, rider_id=None)


def test_which_audit_events_make_which_messages(monkeypatch):
    import api.notify as notify

    made: list[tuple[str, MessageKind, str]] = []

    def stage(session, row, kind, key, body, *, now, sender):
        made.append((row.id, kind, key))
        return object()

    monkeypatch.setattr(notify, "stage", stage)
    entries = [
        AuditEntry(1, 0, AuditEvent.QUOTE_HELD, "held", booking_id="b1"),
        AuditEntry(2, 0, AuditEvent.CONFIRMED, "booked", booking_id="b1"),
        AuditEntry(3, 0, AuditEvent.CONFIRMED, "booked again", booking_id="b2"),
        AuditEntry(4, 0, AuditEvent.PROMISE_BROKEN, "late", booking_id="b1"),
        AuditEntry(5, 0, AuditEvent.PROMISE_RESTORED, "back", booking_id="b1"),
        AuditEntry(6, 0, AuditEvent.CANCELLED, "cancelled", booking_id="b1"),
        AuditEntry(7, 0, AuditEvent.REOPTIMISED, "re-optimised"),
    ]
    promises = {"b1": (1, "ja", "en"), "b2": (2, "ja2", "en2")}
    out = messages_for_entries(
        _Session(), entries, promises, zone=ZoneInfo("Asia/Tokyo"), now=None, sender="t"
    )
    assert len(out) == 4
    assert made == [
        ("b1", MessageKind.CONFIRMATION, "b1:confirmation:2"),
        ("b2", MessageKind.CHANGE, "b2:change:3"),
        ("b1", MessageKind.BROKEN, "b1:broken:4"),
        ("b1", MessageKind.CHANGE, "b1:change:5"),
    ]
