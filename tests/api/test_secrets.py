"""Secrets never reach the logs: bearer tokens, database passwords."""

from __future__ import annotations

import logging

import pytest

from api.db.engine import make_engine, safe_url
from tests.api.conftest import quote_body


@pytest.mark.sqlite_only
def test_a_day_of_requests_logs_no_token(client, staff, town, caplog):
    caplog.set_level(logging.DEBUG)
    op = staff.headers("operator")
    q = client.post("/api/v1/quotes", json=quote_body(town), headers=op).json()
    client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
    client.get("/api/v1/plan", headers=staff.headers("dispatcher"))
    bad = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nor_stolen-token-123"})
    assert bad.status_code == 401 and "stolen-token" not in bad.text
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "something was logged"
    for token in [*staff.tokens.values(), "nor_stolen-token-123"]:
        assert token not in text
        assert token[4:] not in text


def test_database_passwords_are_hidden(caplog):
    caplog.set_level(logging.DEBUG)
    url = "postgresql+psycopg://noriai:s3cret-pw@127.0.0.1:1/noriai"
    engine = make_engine(url)
    engine.dispose()
    assert "s3cret-pw" not in caplog.text and "noriai:***@" in caplog.text
    assert "s3cret-pw" not in safe_url(url)
