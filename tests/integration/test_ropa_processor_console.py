"""The console's register page (GET /console/ropa) shows the processor register (L19) and the
record of processing as a processor (L74, art. 30(2)), from the policy of the running app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.integration.test_console_roles import staff_session

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.settings import Mode, Settings
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

SHOP = Path(__file__).resolve().parents[2] / "policies" / "webwinkel-voorbeeld.yaml"


def _page(context: Context, clock: FixedClock, role: StaffRole = StaffRole.PRIVACY_OFFICER) -> str:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as console:
        console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
        response = console.get("/console/ropa", headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.text[:300]
    return response.text


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</section>", start)]


def test_l19_the_console_register_lists_every_vendor_with_agreement_and_transfer(
    context: Context, clock: FixedClock
) -> None:
    page = _page(context, clock)

    google = _section(page, "vendor-google_analytics")
    assert "Google Ads-verwerkersvoorwaarden (Google Ads Data Processing Terms)" in google
    assert "to Google LLC (US)" in google
    assert 'id="vendor-sisow"' in page and 'id="vendor-carriers"' in page
    assert 'id="vendor-belastingdienst"' not in page  # an authority is no vendor


def test_l74_the_console_register_has_the_hosting_webmail_and_pbx_record(
    context: Context, clock: FixedClock
) -> None:
    page = _page(context, clock)

    for service in ("hosting", "email", "pbx"):
        assert f'id="service-{service}"' in page
    pbx = _section(page, "service-pbx")
    assert "VoIP telephone exchange (PBX)" in pbx
    assert "Verwerkersovereenkomst bij het hostingcontract (art. 28 AVG)" in pbx


@pytest.fixture
def shop(database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var", policy_file=SHOP
    )
    ctx = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    yield ctx
    ctx.access_log.flush()


def test_l74_a_provider_that_processes_for_nobody_says_so(shop: Context, clock: FixedClock) -> None:
    page = _page(shop, clock)

    assert "The policy declares no service in which De Theepot B.V. is a processor." in page
    assert 'id="vendor-mollie"' in page and "Flexibelt" not in page
