"""The web server's access log keeps no full client address (issue 7 item 8, LEGAL L23)."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest

from privaat.cli.serve import _uvicorn_options
from privaat.settings import Settings
from privaat.web.server_log import log_config, network_of

ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'  # the call in uvicorn's protocols/http


@pytest.fixture
def access_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger wired exactly like uvicorn.access by ``log_config()`` (without touching that
    one), its handler writing to a buffer instead of stdout."""
    config = log_config()
    config["loggers"] = {"privaat.test.access": config["loggers"]["uvicorn.access"]}
    logging.config.dictConfig(config)
    logger = logging.getLogger("privaat.test.access")
    (handler,) = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield logger, buffer
    for handler in logger.handlers[:]:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("client_addr", "network"),
    [
        pytest.param("203.0.113.7:51234", "203.0.113.0/24", id="ipv4"),
        pytest.param("2001:db8:1234:5678::9:51234", "2001:db8:1234::/48", id="ipv6"),
        pytest.param("[2001:db8::1]:443", "2001:db8::/48", id="ipv6-bracketed"),
        pytest.param("", "-", id="no-client"),
        pytest.param("unix-socket", "-", id="not-an-address"),
    ],
)
def test_the_client_address_becomes_its_network(client_addr: str, network: str) -> None:
    assert network_of(client_addr) == network


def test_the_access_log_writes_the_network_not_the_address(
    access_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = access_log
    logger.info(ACCESS_FORMAT, "203.0.113.7:51234", "GET", "/privacy", "1.1", 200)
    line = buffer.getvalue()
    assert '203.0.113.0/24 - "GET /privacy HTTP/1.1" 200' in line
    assert "203.0.113.7" not in line and "51234" not in line


def test_serve_hands_uvicorn_this_log_configuration() -> None:
    config = _uvicorn_options(Settings())["log_config"]
    assert "client_network_only" in config["handlers"]["access"]["filters"]


def test_one_time_tokens_never_reach_the_access_log() -> None:
    from privaat.web.server_log import redact_path

    assert redact_path("/email/verify?token=abcDEF-123_x") == "/email/verify?token=…"
    assert redact_path("/console/enrol/Zm9vYmFy?x=1") == "/console/enrol/…?x=1"
    assert redact_path("/a?b=1&token=secret&c=2") == "/a?b=1&token=…&c=2"
    assert redact_path("/privacy?lang=en") == "/privacy?lang=en"
