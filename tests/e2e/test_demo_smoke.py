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


@pytest.mark.e2e
def test_the_demo_s_person_is_answered_and_erased_across_three_stores(tmp_path: Path) -> None:
    """Issue 15 items 1, 3: ``make demo`` ships the billing database, the webmail API and a
    PBX done by hand; an operator's commands beside the running demo reach all."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "privaat", "demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "webmail API" not in log.read_text() or not _healthy(port):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not become healthy in 30 s"
            time.sleep(0.2)
        [line] = [x for x in log.read_text().splitlines() if "webmail API" in x]
        webmail = line.split("webmail API ")[1].split(" ")[0]
        billing = line.split("billing database ")[1].split(",")[0]
        from privaat.demo.external_stores import DEMO_STORES_FILE

        shell = {
            **env,
            "PRIVAAT_STORES_FILE": str(DEMO_STORES_FILE),
            "PRIVAAT_DEMO_BILLING_URL": billing,
            "PRIVAAT_DEMO_WEBMAIL_URL": webmail,
        }

        def privaat(*arguments: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "privaat", *arguments],
                cwd=tmp_path,
                env=shell,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        filed = privaat(
            "requests",
            "file",
            "--email",
            "jan.jansen@example.nl",
            "--type",
            "erasure",
            "--identity",
            "called back on the account's number",
        )
        reference = filed.split()[0]
        privaat("requests", "act", reference, "start")
        # the PBX has no API: she bought a phone, so its task is done by hand first (item 3)
        assert privaat("requests", "tasks", reference).startswith("pbx\topen\tsupport_lead\t")
        privaat("requests", "task-done", reference, "pbx", "--note", "toestel 201 verwijderd")
        erased = privaat("requests", "erase", reference)
        assert "billing/customers: 1 rows, 0 deleted, 1 masked" in erased
        assert "billing/invoices: 3 rows, 1 deleted, 2 masked, held until" in erased
        assert "webmail/mailboxes: 1 rows, 1 deleted" in erased
        assert "webmail/aliases: 1 rows, 1 deleted" in erased
        certificate = tmp_path / "certificate.json"
        privaat("requests", "certificate", reference, "--output", str(certificate))
        checked = privaat("requests", "verify-certificate", str(certificate))
        assert "privaat + billing + webmail" in checked
        assert '"system": "pbx"' in certificate.read_text()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
