"""Where a log-in came from, derived offline from the IP address (P9, LEGAL L17, L23)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

from geoip2fast import GeoIP2Fast


@dataclass(frozen=True, slots=True)
class Location:
    country: str | None  # ISO 3166-1 alpha-2, None for private or unknown addresses
    city: str | None  # only where the data set has it


def truncate_ip(ip: str) -> str:
    """The network part only: /24 for IPv4, /48 for IPv6 (LEGAL L23, CJEU C-582/14 Breyer)."""
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class GeoLocator:
    """Looks up country (and city, where known) in the GeoIP data shipped with geoip2fast."""

    @cached_property
    def _db(self) -> GeoIP2Fast:
        # the IPv6 file holds IPv4 too; loaded once, on first use (~0.2 s)
        return GeoIP2Fast(verbose=False, geoip2fast_data_file="geoip2fast-ipv6.dat.gz")

    def locate(self, ip: str) -> Location:
        result = self._db.lookup(ip)
        # geoip2fast answers "--" for private and loopback addresses: no country
        code = result.country_code or ""
        country = code if len(code) == 2 and code.isalpha() else None
        city = getattr(result.city, "name", "") or None
        return Location(country=country, city=city)
