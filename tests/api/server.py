"""A real service for the tests: uvicorn in a child process (own process group), over HTTP.

The process group lets a test kill the server and all its workers at once with
SIGKILL, as a crash or a power cut would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kw)  # type: ignore[arg-type]

    def kill(self) -> None:
        """SIGKILL the server and its workers (no shutdown, no flush)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def serve(
    env: dict[str, str], log: Path, *, workers: int = 1, port: int | None = None
) -> Iterator[Server]:
    """Start ``uvicorn --factory api.main:app_from_env`` with `env` (NORIAI_* settings)."""
    port = port or free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "api.main:app_from_env",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning",
    ]  # fmt: skip
    out = log.open("ab")
    process = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(server, workers=workers)
        yield server
    finally:
        server.stop()
        out.close()


def wait_ready(server: Server, *, workers: int, timeout: float = 120) -> set[int]:
    """Until /health answers, and (for a while) until every worker has answered it."""
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    first_ok = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log.read_text()[-2000:]}")
        try:
            r = httpx.get(server.url + "/api/v1/health", timeout=5)
            if r.status_code == 200:
                seen.add(r.json()["worker"])
                first_ok = first_ok or time.monotonic()
        except httpx.HTTPError:
            pass
        if len(seen) >= workers or (first_ok and time.monotonic() - first_ok > 60):
            return seen
        time.sleep(0.1)
    raise RuntimeError(f"server not ready in {timeout} s: {server.log.read_text()[-2000:]}")
