"""``NORIAI_REOPT_THREADS``: the service's re-optimisation runs that many native searches."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import api.routes.plan
from api.settings import Settings
from tests.api.conftest import iso
from tests.api.routes.test_plan import P, book


@pytest.fixture
def settings(database_url: str, data_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        cache_dir=tmp_path / "cache",
        database_url=database_url,
        auto_migrate=False,
        reopt_time_limit_s=1.0,
        reopt_threads=2,
    )


def test_reoptimise_searches_with_the_configured_threads(client, staff, town, monkeypatch):
    seen = []
    real = api.routes.plan.solve_in_worker

    def spy(job, limit, **kw):
        seen.append(kw["config"].threads)
        candidate = real(job, limit, **kw)
        if not isinstance(candidate, str):
            seen.append(candidate.stats.get("threads"))
        return candidate

    monkeypatch.setattr(api.routes.plan, "solve_in_worker", spy)
    book(client, staff, town, "yamada", depart_at=iso(9))
    r = client.post(
        P + "/reoptimise", json={"time_limit_s": 1}, headers=staff.headers("dispatcher")
    )
    assert r.status_code == 200, r.text
    assert seen[0] == 2 and seen[1:] in ([], [2])


def test_a_thread_count_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="reopt_threads"):
        Settings(cache_dir=tmp_path, reopt_threads=0)
