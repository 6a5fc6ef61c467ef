"""X-Forwarded-For is believed only from the configured proxies (issue 7 item 8, P2, P9).

Before, uvicorn's --proxy-headers default trusted 127.0.0.1: any local process could send
``X-Forwarded-For: <anything>`` and so pick its own address, walking past the per-IP limit.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import ValidationError

from privaat.bootstrap import Context
from privaat.cli.serve import _uvicorn_options
from privaat.services.sessions import MAX_ATTEMPTS_PER_IP
from privaat.settings import Settings
from privaat.web.app import create_app
from privaat.web.forwarded import client_address, forwarded_chain, trusted_proxies

PROXY = "10.0.0.2"


def _client(context: Context, *, peer: str, allow: str) -> TestClient:
    settings = context.settings.model_copy(update={"forwarded_allow_ips": allow})
    app = create_app(dataclasses.replace(context, settings=settings))
    return TestClient(app, client=(peer, 50000))


def _resolve(peer: str, chain: list[str], allow: str) -> str | None:
    found = client_address(ipaddress.ip_address(peer), chain, trusted_proxies(allow))
    return None if found is None else str(found)


@pytest.mark.parametrize(
    ("peer", "chain", "allow", "expected"),
    [
        pytest.param("145.97.0.1", ["6.6.6.6"], "", "145.97.0.1", id="nobody-trusted"),
        pytest.param(
            "145.97.0.1", ["6.6.6.6"], PROXY, "145.97.0.1", id="peer-not-a-proxy-header-ignored"
        ),
        pytest.param(PROXY, ["145.97.0.1"], PROXY, "145.97.0.1", id="one-proxy"),
        pytest.param(
            PROXY, ["6.6.6.6", "145.97.0.1"], PROXY, "145.97.0.1", id="spoofed-left-part-ignored"
        ),
        pytest.param(
            PROXY,
            ["6.6.6.6", "145.97.0.1", "10.0.0.7"],
            "10.0.0.0/24",
            "145.97.0.1",
            id="two-proxies-in-a-network",
        ),
        pytest.param(PROXY, [], PROXY, PROXY, id="proxy-itself-calls"),
        pytest.param(PROXY, ["10.0.0.9", "10.0.0.7"], "10.0.0.0/24", "10.0.0.9", id="all-trusted"),
        pytest.param(PROXY, ["not-an-ip"], PROXY, None, id="garbage"),
        pytest.param(PROXY, ["145.97.0.1:4711"], PROXY, "145.97.0.1", id="ipv4-with-port"),
        pytest.param(PROXY, ["[2001:db8::1]:443"], PROXY, "2001:db8::1", id="ipv6-with-port"),
        pytest.param("::1", ["2001:db8::7"], "::1", "2001:db8::7", id="ipv6-proxy"),
    ],
)
def test_the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy(
    peer: str, chain: list[str], allow: str, expected: str | None
) -> None:
    assert _resolve(peer, chain, allow) == expected


def test_several_forwarded_for_headers_read_as_one_list() -> None:
    assert forwarded_chain(["1.1.1.1, 2.2.2.2", " 3.3.3.3 ", ""]) == [
        "1.1.1.1",
        " 2.2.2.2",
        " 3.3.3.3 ",
    ]


@pytest.mark.parametrize("entry", ["*", "localhost", "10.0.0.0/33", "10.0.0.1 10.0.0.2"])
def test_a_setting_that_is_not_addresses_or_networks_is_refused_at_start(entry: str) -> None:
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(forwarded_allow_ips=f"10.0.0.1,{entry}")


def test_the_setting_is_empty_by_default() -> None:
    assert Settings.model_fields["forwarded_allow_ips"].default == ""


def _through_uvicorn(context: Context, options: dict[str, Any]) -> TestClient:
    """The app as ``privaat serve`` hands it to uvicorn, called from the server itself."""
    config = uvicorn.Config(create_app(context), **{**options, "log_config": None})
    config.load()  # wraps the app in uvicorn's ProxyHeadersMiddleware when proxy_headers
    return TestClient(config.loaded_app, client=("127.0.0.1", 50000))


def _guesses_from_chosen_addresses(client: TestClient) -> list[int]:
    return [
        client.post(
            "/api/v1/session",
            json={"email": f"guess{n}@example.nl", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(MAX_ATTEMPTS_PER_IP + 1)
    ]


def test_p2_a_local_caller_cannot_pick_its_address_to_pass_the_per_ip_limit(
    context: Context,
) -> None:
    with _through_uvicorn(context, _uvicorn_options(context.settings)) as client:
        answers = _guesses_from_chosen_addresses(client)
    assert answers[-1] == 429, answers


def test_uvicorns_own_defaults_would_let_it_pick_its_address(context: Context) -> None:
    """Why serve passes the options: this is what uvicorn did with none (the old serve)."""
    with _through_uvicorn(context, {}) as client:
        answers = _guesses_from_chosen_addresses(client)
    assert 429 not in answers, answers


def test_p9_behind_a_configured_proxy_the_log_in_records_the_client(
    context: Context,
) -> None:
    account = {
        "email": "proxy@example.nl",
        "password": "correct horse battery",
        "name": "Proxy Tester",
        "language": "nl",
        "age_declaration": True,
    }
    with _client(context, peer=PROXY, allow=PROXY) as client:
        assert client.post("/api/v1/accounts", json=account).status_code == 202
        credentials = {"email": account["email"], "password": account["password"]}
        forwarded = {"X-Forwarded-For": "6.6.6.6, 145.97.0.1"}
        assert (
            client.post("/api/v1/session", json=credentials, headers=forwarded).status_code == 204
        )
        logins = client.get("/api/v1/account/logins").json()
    assert [login["ip"] for login in logins] == ["145.97.0.1"]


@pytest.mark.parametrize(
    ("allow", "proxy_headers", "forwarded_allow_ips"),
    [
        pytest.param("", False, None, id="unset-no-proxy-headers"),
        pytest.param("10.0.0.2,10.1.0.0/16", True, "10.0.0.2,10.1.0.0/16", id="set"),
    ],
)
def test_serve_gives_uvicorn_proxy_headers_only_with_configured_proxies(
    allow: str, proxy_headers: bool, forwarded_allow_ips: str | None
) -> None:
    options = _uvicorn_options(Settings(forwarded_allow_ips=allow))
    assert options["proxy_headers"] is proxy_headers
    assert options["forwarded_allow_ips"] == forwarded_allow_ips
