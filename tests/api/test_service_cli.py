"""``noriai service``: init-db, staff accounts and tokens from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from api.db.engine import make_engine
from api.db.migrate import current_revision, head_revision


def run(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env=env)


def test_init_db_users_and_tokens(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"NORIAI_DATABASE_URL": url}
    r = run(env, "service", "init-db")
    assert r.exit_code == 0, r.output
    assert current_revision(make_engine(url)) == head_revision()
    r = run(env, "service", "user", "add", "tanaka", "--role", "operator")
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("nor_") and len(token) > 40
    again = run(env, "service", "user", "add", "tanaka", "--role", "driver")
    assert again.exit_code == 2
    r = run(env, "service", "user", "add", "suzuki", "--role", "pilot")
    assert r.exit_code == 2
    listed = run(env, "service", "user", "list")
    assert "tanaka" in listed.stdout and token not in listed.stdout
    r = run(env, "service", "token", "add", "tanaka", "--label", "tablet")
    second = r.stdout.strip().splitlines()[-1]
    assert second.startswith("nor_") and second != token
    r = run(env, "service", "token", "revoke", second[:12])
    assert r.exit_code == 0 and "1 token(s) revoked" in r.stdout
    assert run(env, "service", "token", "revoke", "nor_").exit_code == 2
    assert run(env, "service", "token", "add", "nobody").exit_code == 2


def test_the_help_names_the_commands():
    r = run({}, "service", "--help")
    assert r.exit_code == 0
    for command in ("run", "init-db", "user", "token"):
        assert command in r.stdout
