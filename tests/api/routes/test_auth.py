"""Sign-in with bearer tokens: who am I, my tokens, revoking; 401 for anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from api.db.engine import make_engine
from api.db.models import ApiToken, User


def test_me_names_the_user_and_role(client, staff):
    r = client.get("/api/v1/auth/me", headers=staff.headers("driver"))
    assert r.status_code == 200
    assert r.json() == {
        "id": staff.ids["driver"],
        "name": "driver-san",
        "role": "driver",
        "vehicle_id": "car-1",
    }


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nor_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 300],
)
def test_without_a_valid_token_it_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail_ja"]


def test_a_new_token_works_and_a_revoked_one_does_not(client, staff):
    r = client.post(
        "/api/v1/auth/tokens", json={"label": "tablet 2"}, headers=staff.headers("operator")
    )
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("nor_") and r.json()["prefix"] == token[:12]
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    listed = client.get("/api/v1/auth/tokens", headers=staff.headers("operator")).json()
    assert len(listed) == 2 and all("token" not in t for t in listed)
    assert (
        client.delete(
            f"/api/v1/auth/tokens/{r.json()['id']}", headers=staff.headers("operator")
        ).status_code
        == 204
    )
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_someone_elses_token_cannot_be_revoked(client, staff):
    mine = client.post("/api/v1/auth/tokens", json={}, headers=staff.headers("operator")).json()
    r = client.delete(f"/api/v1/auth/tokens/{mine['id']}", headers=staff.headers("driver"))
    assert r.status_code == 404
    r = client.delete(f"/api/v1/auth/tokens/{mine['id']}", headers=staff.headers("admin"))
    assert r.status_code == 204


def test_expired_tokens_and_inactive_users_are_401(client, staff, database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            update(ApiToken)
            .where(ApiToken.user_id == staff.ids["planner"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        conn.execute(update(User).where(User.id == staff.ids["driver"]).values(active=False))
    engine.dispose()
    assert client.get("/api/v1/auth/me", headers=staff.headers("planner")).status_code == 401
    assert client.get("/api/v1/auth/me", headers=staff.headers("driver")).status_code == 401
    assert client.get("/api/v1/auth/me", headers=staff.headers("operator")).status_code == 200


def test_only_a_hash_of_the_token_is_stored(client, staff, database_url):
    from sqlalchemy import select

    engine = make_engine(database_url)
    with engine.connect() as conn:
        hashes = conn.execute(select(ApiToken.token_hash)).scalars().all()
    engine.dispose()
    assert len(hashes) == len(staff.tokens)
    for token in staff.tokens.values():
        assert token not in hashes and all(token not in h for h in hashes)


def test_admin_adds_staff_with_a_first_token(client, staff):
    r = client.post(
        "/api/v1/users", json={"name": "tanaka", "role": "operator"}, headers=staff.headers("admin")
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["name"] == "tanaka" and me["role"] == "operator"
    again = client.post(
        "/api/v1/users", json={"name": "tanaka", "role": "driver"}, headers=staff.headers("admin")
    )
    assert again.status_code == 409
    uid = r.json()["user"]["id"]
    off = client.post(f"/api/v1/users/{uid}/deactivate", headers=staff.headers("admin"))
    assert off.status_code == 200 and off.json()["active"] is False
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
