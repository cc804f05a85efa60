"""Quotes: held with a promise, confirmed, released, expired; alternatives; 422s and 409s."""

from __future__ import annotations

from tests.api.conftest import iso, quote_body


def test_quote_holds_a_promise_and_confirm_makes_it_a_booking(client, staff, town):
    op = staff.headers("operator")
    r = client.post("/api/v1/quotes", json=quote_body(town), headers=op)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["feasible"] and q["status"] == "held"
    assert q["id"].startswith("20250602-")
    print(q)
    r = client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["status"] == "confirmed"
    assert b["promise"] == q["pickup_window"]
