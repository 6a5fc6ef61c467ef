"""Where OpenDSR callbacks may go, how they are signed, and how one is sent (issue 11 item 10).

    intake: check_callback_url(url, mode)       the controller's URL, refused with the reason
    send:   Signer.sign(connection, body)       RSA-SHA256 (PKCS#1 v1.5) over the raw body,
                                                base64: OpenDSR's X-OpenDSR-Signature (§8.6)
            post(url, body, headers, mode)      one POST, to the address that was checked

SSRF (OWASP SSRF Prevention Cheat Sheet): a controller names URLs that *our* server calls, so
a URL could point it at our own network. In production only ``https`` to a host that resolves
to global addresses only; the connection then goes to the address that was checked (pinned),
so a second DNS answer cannot swap in an internal one (DNS rebinding); TLS still verifies the
name. No credentials in the URL, no fragment, no other scheme. Plain ``http`` is allowed in
test and demo mode only, and only to loopback (a controller's test receiver on this machine).

The signing key is RSA 2048 (FIPS 186-4, as OpenDSR §4.2 asks; NIST SP 800-57 part 1: 112
bits, acceptable to 2030), made on first use, its private half stored encrypted under a system
key (``KeyStore.system_cipher``), so a copy of the database alone cannot sign. Its certificate
is self-signed: OpenDSR §4.1 wants one issued by a CA to the processor's domain, which an
operator obtains for the key (``docs/opendsr.md``).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from privaat.services.errors import InvalidField
from privaat.settings import Mode
from privaat.store.key_store import KeyStore
from privaat.store.tables_opendsr import opendsr_signing_keys

__all__ = [
    "MAX_URL_LENGTH",
    "Answer",
    "CallbackRefused",
    "Signer",
    "check_callback_url",
    "exchange",
    "post",
]

MAX_URL_LENGTH = 2000
_FIELD = "status_callback_urls"
_SYSTEM_KEY = "opendsr_signing"  # the system key the private key is sealed under
_SEALED = "opendsr_signing_keys.private_key"  # the associated data of the sealed key
_KEY_ROW = 1  # one signing key


class CallbackRefused(Exception):
    """A callback URL that may not be called (now): the reason, never the URL's secrets."""


def check_callback_url(url: str, *, mode: Mode, position: int) -> str:
    """``url`` if our server may call it; InvalidField naming the field and which URL."""
    try:
        _check(url, mode=mode)
    except CallbackRefused as refused:
        raise InvalidField(_FIELD, f"URL {position}: {refused}") from None
    return url


def _check(url: str, *, mode: Mode) -> list[str]:
    """The addresses ``url`` may be called at (production: resolved and checked)."""
    if len(url) > MAX_URL_LENGTH:
        raise CallbackRefused(f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CallbackRefused("not a valid URL") from None
    if parts.scheme not in ("https", "http"):
        raise CallbackRefused("must be an https URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise CallbackRefused("must not carry a user name or password")
    if parts.fragment or "#" in url:
        raise CallbackRefused("must not have a fragment")
    host = parts.hostname
    if not host:
        raise CallbackRefused("names no host")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise CallbackRefused("must not contain spaces or control characters")
    port = port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "http":
        # plain http: a test receiver on this machine, never in production
        if mode is Mode.PRODUCTION:
            raise CallbackRefused("must be an https URL")
        if not _loopback(host):
            raise CallbackRefused("plain http only to this machine (127.0.0.1, ::1) in test mode")
        return [host.strip("[]")]
    if mode is not Mode.PRODUCTION:
        return [host]  # test and demo: the name is used as it is (no network lookups)
    addresses = _resolve(host, port)
    for address in addresses:
        if not ipaddress.ip_address(address).is_global:
            raise CallbackRefused("the host resolves to a private, loopback or link-local address")
    return addresses


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise CallbackRefused("the host does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise CallbackRefused("the host does not resolve")
    return addresses


# --- sending --------------------------------------------------------------------------------


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the address that was checked, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is still verified for the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, mode: Mode, timeout: float) -> int:
    """POST ``body`` to ``url`` (checked again, as at intake) and return the HTTP status;
    CallbackRefused when it may not be called, OSError when it cannot be reached. Redirects
    are not followed: a 3xx is a failure, and could point anywhere."""
    return exchange(url, body, headers, mode=mode, timeout=timeout).status


@dataclass(frozen=True, slots=True)
class Answer:
    """What a receiver answered: its status, its header fields and the first 64 KiB."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def exchange(
    url: str, body: bytes, headers: dict[str, str], *, mode: Mode, timeout: float
) -> Answer:
    """As ``post``, with the answer: a receiver that acknowledges (processor notices, L11)."""
    addresses = _check(url, mode=mode)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPS(host, port, address=addresses[0], timeout=timeout)
    else:
        connection = _PinnedHTTP(host, port, address=addresses[0], timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(64 * 1024)  # a few bytes of the answer, never all of it
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, answer)
    except http.client.HTTPException as error:
        raise OSError(f"bad HTTP answer ({type(error).__name__})") from None
    finally:
        connection.close()


# --- signing --------------------------------------------------------------------------------


class Signer:
    """The processor's signing key: made once, sealed under a system key, cached when read."""

    def __init__(self, keys: KeyStore, *, common_name: str) -> None:
        self._keys, self._common_name = keys, common_name[:64] or "privaat"
        self._loaded: tuple[rsa.RSAPrivateKey, str] | None = None

    def sign(self, connection: Connection, body: bytes, *, now: datetime) -> str:
        """Base64 of the RSA-SHA256 signature of ``body`` (OpenDSR §4.2, §8.6)."""
        key, _ = self._key(connection, now)
        signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def certificate_pem(self, connection: Connection, *, now: datetime) -> str:
        """The X.509 certificate (PEM) whose key signs callbacks and answers."""
        return self._key(connection, now)[1]

    def _key(self, connection: Connection, now: datetime) -> tuple[rsa.RSAPrivateKey, str]:
        if self._loaded is not None:
            return self._loaded
        row = connection.execute(
            select(opendsr_signing_keys).where(opendsr_signing_keys.c.id == _KEY_ROW)
        ).first()
        if row is None:
            return self._create(connection, now)  # not cached until it is known committed
        cipher = self._keys.system_cipher(connection, _SYSTEM_KEY)
        der = cipher.decrypt_bytes(_SEALED, row.private_key_sealed)
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the OpenDSR signing key is not an RSA key")
        self._loaded = (key, row.certificate_pem)
        return self._loaded

    def _create(self, connection: Connection, now: datetime) -> tuple[rsa.RSAPrivateKey, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self._common_name)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=3 * 365))
            .sign(key, hashes.SHA256())
        )
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        sealed = self._keys.system_cipher(connection, _SYSTEM_KEY).encrypt_bytes(_SEALED, der)
        try:
            with connection.begin_nested():  # two processes at once: the first one wins
                connection.execute(
                    insert(opendsr_signing_keys).values(
                        id=_KEY_ROW, created_at=now, private_key_sealed=sealed, certificate_pem=pem
                    )
                )
        except IntegrityError:
            return self._key(connection, now)
        return key, pem
