"""PostgreSQL for the tests: the server named by ``NORIAI_TEST_DATABASE_URL``, or a private
throwaway server started from the local PostgreSQL binaries (initdb + pg_ctl; as the
``postgres`` user when the tests run as root, since PostgreSQL refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

ENV_URL = "NORIAI_TEST_DATABASE_URL"


def pg_bindir() -> Path | None:
    """Where initdb and pg_ctl are (``pg_config --bindir`` or Debian's versioned dirs)."""
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for d in reversed(dirs):
        if (Path(d) / "initdb").exists():
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def throwaway_server(base: Path) -> Iterator[str]:
    """Start a private PostgreSQL in `base`; yields the URL of its ``postgres`` database."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (apt-get install -y postgresql)")
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise RuntimeError("running as root and there is no postgres user") from exc
        run_as = ["runuser", "-u", "postgres", "--"]
        base.mkdir(parents=True, exist_ok=True)
        os.chown(base, pw.pw_uid, pw.pw_gid)
        for parent in base.parents:  # postgres must reach its data directory
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
    data = base / "data"
    port = _free_port()
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "server.log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
