"""The web server's own access log, with the client's network instead of its full address.

An IP address is personal data (CJEU C-582/14 Breyer); the access log keeps the /24 (IPv4)
or /48 (IPv6) network, as log-in history does after minimisation (LEGAL L23), and no port.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from privaat.services.geo import truncate_ip

__all__ = ["ClientNetworkOnly", "log_config", "network_of", "redact_path"]

UNKNOWN = "-"
# single-use secrets travel in links: ?token=… (address links) and /console/enrol/<token>
_TOKEN_QUERY = re.compile(r"(?<=[?&]token=)[^&#\s]+")
_TOKEN_PATH = re.compile(r"(?<=/console/enrol/)[^/?#\s]+")


def redact_path(path: str) -> str:
    """The path with every one-time token replaced, fit for a log line."""
    return _TOKEN_PATH.sub("…", _TOKEN_QUERY.sub("…", path))


def network_of(client_addr: str) -> str:
    """``203.0.113.7:51234`` → ``203.0.113.0/24``; uvicorn writes ``host:port`` (IPv6 too)."""
    host = client_addr.rsplit(":", 1)[0] if ":" in client_addr else client_addr
    host = host.strip("[]")
    try:
        return truncate_ip(host)
    except ValueError:
        return UNKNOWN


class ClientNetworkOnly(logging.Filter):
    """Rewrites the client address of uvicorn's access records (their first argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            rest = list(args[1:])
            # uvicorn's access record: (client, method, path with query, version, status)
            if len(rest) >= 2 and isinstance(rest[1], str):
                rest[1] = redact_path(rest[1])
            record.args = (network_of(args[0]), *rest)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with ``ClientNetworkOnly`` on its access handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["client_network_only"] = {"()": ClientNetworkOnly}
    config["handlers"]["access"].setdefault("filters", []).append("client_network_only")
    return config
