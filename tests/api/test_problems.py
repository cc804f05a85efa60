"""Every error is application/problem+json with Japanese first, English second."""

from __future__ import annotations

import re

import pytest


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/nothing-here", {}, 404),
        ("PUT", "/api/v1/auth/me", {}, 405),
        (
            "POST",
            "/api/v1/quotes",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            422,
        ),
        ("GET", "/api/v1/riders", {"params": {"limit": 0}}, 422),
        ("GET", "/api/v1/riders/0", {}, 422),
    ],
)
def test_errors_are_problems(client, staff, method, path, kwargs, status):
    headers = {**staff.headers("operator"), **kwargs.pop("headers", {})}
    r = client.request(method, path, headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["status"] == status and p["title"] and p["code"]
    assert p["detail_ja"] and p["detail_en"] and p["detail"].startswith(p["detail_ja"])
    if status == 422:
        assert p["errors"] and all(
            e["field"] and e["message_ja"] and e["message_en"] for e in p["errors"]
        )


@pytest.mark.sqlite_only
def test_openapi_docs_are_served(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()  # the office may be offline: assets are local
    assets = re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', page.text)
    assert len(assets) == 3
    for url in assets:
        assert client.get(url).status_code == 200, url
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"].startswith("noriai")
    quotes = schema["paths"]["/api/v1/quotes"]["post"]
    assert "application/problem+json" in quotes["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in quotes["parameters"])
