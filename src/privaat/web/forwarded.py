"""The client's address behind reverse proxies: X-Forwarded-For, believed only from our own.

Each proxy appends the address it was called from, so the header reads
``client, proxy1, proxy2`` and the direct peer is the last proxy. Anyone can write the left
part; only the entries our proxies appended are true. Walking from the right, the first
address that is not one of our proxies is the client (the rightmost untrusted address):

    peer not trusted ─────────────────────────► the peer (the header is ignored)
    peer trusted, X-Forwarded-For a, b, c ────► the rightmost of c, b, a that is not trusted
    every entry trusted ──────────────────────► the leftmost entry
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["TrustedProxies", "client_address", "forwarded_chain", "trusted_proxies"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The proxies whose X-Forwarded-For is believed: addresses and networks."""

    networks: tuple[Network, ...] = ()

    def __contains__(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


@lru_cache(maxsize=8)
def trusted_proxies(setting: str) -> TrustedProxies:
    """Parse ``PRIVAAT_FORWARDED_ALLOW_IPS``: comma-separated addresses or CIDR networks.

    ValueError on any other entry: ``*`` is refused on purpose, since trusting every peer
    lets every caller pick its own address.
    """
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return TrustedProxies(tuple(networks))


def _parse(entry: str) -> Address | None:
    """An address from one X-Forwarded-For entry; some proxies add a port (``[::1]:80``)."""
    text = entry.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def forwarded_chain(headers: Iterable[str]) -> list[str]:
    """The entries of every X-Forwarded-For header, in order (RFC 9110 §5.3: one list)."""
    return [entry for header in headers for entry in header.split(",") if entry.strip()]


def client_address(
    peer: Address, forwarded_for: Sequence[str], trusted: TrustedProxies
) -> Address | None:
    """The client's address (see the module doc); None when the chain holds garbage there."""
    if peer not in trusted or not forwarded_for:
        return peer
    address: Address | None = None
    for entry in reversed(forwarded_for):
        address = _parse(entry)
        if address is None or address not in trusted:
            return address
    return address
