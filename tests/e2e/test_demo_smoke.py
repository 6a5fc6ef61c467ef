"""The README's main command serves the policy: start ``privaat demo``, fetch over HTTP, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.e2e
def test_readme_main_command_serves_privacy_policy_and_api_docs(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "privaat", "demo", "--port", str(port)],
            cwd=tmp_path,  # the demo keeps its database and key under ./var
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not become healthy in 30 s"
            time.sleep(0.2)
        dutch = httpx.get(f"{base}/privacy", headers={"accept-language": "nl"})
        assert dutch.status_code == 200 and "Laatst bijgewerkt" in dutch.text
        assert "Flexibelt" in dutch.text and "Autoriteit Persoonsgegevens" in dutch.text
        english = httpx.get(f"{base}/privacy?lang=en")
        assert "Last updated" in english.text
        assert httpx.get(f"{base}/docs").status_code == 200
        assert "/api/v1/accounts" in httpx.get(f"{base}/openapi.json").json()["paths"]
        login = {"email": "jan.jansen@example.nl", "password": "demo-wachtwoord"}
        assert httpx.post(f"{base}/api/v1/session", json=login).status_code == 204
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert (tmp_path / "var" / "privaat.db").exists()
    assert (tmp_path / "var" / "master.key").stat().st_mode & 0o777 == 0o600
