"""Issue 4 item 3: the engine serves any provider. A small, different provider's policy (a
tea shop without telephony) runs sign-up, log-in and the profile read; its name, not
Flexibelt's, is in what the person receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.policy.loader import load_policy_file
from privaat.services.activities import PolicyIncomplete
from privaat.settings import Mode, Settings
from privaat.web.app import create_app

SHOP = Path(__file__).resolve().parents[2] / "policies" / "webwinkel-voorbeeld.yaml"
CUSTOMER = {
    "email": "thea@example.nl",
    "password": "rooibos met honing",
    "name": "Thea Pot",
    "age_declaration": True,
}


@pytest.fixture
def shop(database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var", policy_file=SHOP
    )
    ctx = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    yield ctx
    ctx.access_log.flush()


def test_another_providers_policy_runs_sign_up_log_in_and_profile_read(shop: Context) -> None:
    assert shop.policy.controller.name != "Flexibelt"
    with TestClient(create_app(shop), client=("145.97.0.1", 50000)) as client:
        assert client.post("/api/v1/accounts", json=CUSTOMER).status_code == 202
        log_in = {"email": CUSTOMER["email"], "password": CUSTOMER["password"]}
        assert client.post("/api/v1/session", json=log_in).status_code == 204
        account = client.get("/api/v1/account")
        assert account.status_code == 200, account.text
        assert account.json()["email"] == CUSTOMER["email"]
        assert client.post("/api/v1/accounts", json=CUSTOMER).status_code == 202  # a notice
    (notice,) = [
        mail for _id, template, mail in shop.outbox.pending() if template == "sign_up_attempt"
    ]
    assert shop.policy.controller.name in notice.body
    assert "Flexibelt" not in notice.subject + notice.body


def test_a_policy_without_an_activity_an_enabled_service_needs_refuses_to_start(
    tmp_path: Path,
) -> None:
    policy = load_policy_file(SHOP)
    without = policy.model_copy(
        update={"activities": tuple(a for a in policy.activities if a.id != "login_security")}
    )
    settings = Settings(mode=Mode.TEST, database_url="sqlite://", var_dir=tmp_path / "var")
    with pytest.raises(PolicyIncomplete, match="login_security"):
        bootstrap(settings, policy=without, run_migrations=False)


def test_a_provider_without_login_locations_needs_no_such_activity(tmp_path: Path) -> None:
    policy = load_policy_file(SHOP)
    without = policy.model_copy(
        update={
            "activities": tuple(a for a in policy.activities if a.id != "datacenter_login_location")
        }
    )
    settings = Settings(
        mode=Mode.TEST,
        database_url="sqlite://",
        var_dir=tmp_path / "var",
        record_login_locations=False,
    )
    ctx = bootstrap(settings, policy=without, run_migrations=False)
    assert ctx.logins is None
    ctx.close()
