"""Issue 5 item 12: on https the session cookie is ``__Host-`` prefixed (RFC 6265bis §4.1.3.2):
Secure, Path=/, no Domain, so no sibling host can set or shadow it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from privaat.bootstrap import bootstrap
from privaat.domain.clock import FixedClock
from privaat.settings import Mode, Settings
from privaat.web.app import create_app

JAN = {"email": "jan@example.nl", "password": "correct horse battery", "name": "Jan Jansen"}


def test_on_https_the_session_cookie_is_host_prefixed_and_secure(
    database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    settings = Settings(
        mode=Mode.TEST,
        database_url=database_url,
        var_dir=tmp_path / "var",
        base_url="https://privacy.example.nl",
    )
    context = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    with TestClient(create_app(context), base_url="https://privacy.example.nl") as client:
        assert (
            client.post("/api/v1/accounts", json={**JAN, "age_declaration": True}).status_code
            == 202
        )
        response = client.post(
            "/api/v1/session", json={"email": JAN["email"], "password": JAN["password"]}
        )
        assert response.status_code == 204
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-privaat_session=")
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
        assert client.get("/api/v1/account").status_code == 200  # and it is read back
    context.access_log.flush()
