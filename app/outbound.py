"""Requests the service makes to URLs a tenant chose (auth providers' JWKS): only to public
addresses over HTTPS, pinned to the address that was checked, within a total deadline, a size
limit and a per-URL concurrency cap. Callers get a generic error; the details go to the log.

`CLOUDSIGNAL_PROVIDER_ALLOW_INSECURE=1` (development and tests only) allows plain http and
private, loopback or link-local addresses.
"""

import http.client
import ipaddress
import json
import logging
import os
import socket
import ssl
import threading
import time
from typing import Any, Dict, List, Tuple
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEADLINE = 5.0  # seconds for the whole fetch: resolution, connection, TLS, the body
MAX_BODY = 512 * 1024
PER_URL = 2  # concurrent fetches of one URL per process; more wait for none and fail
_slots: Dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


class UnsafeUrl(ValueError):
    """The URL may not be fetched; `str()` is safe to show the tenant."""


class FetchFailed(Exception):
    """The fetch did not succeed; the reason is logged, not shown."""


def insecure_allowed() -> bool:
    return os.environ.get("CLOUDSIGNAL_PROVIDER_ALLOW_INSECURE", "") in ("1", "true", "yes")


def public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
        elif ip.teredo is not None:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_private or ip.is_loopback
                                 or ip.is_link_local or ip.is_unspecified)


def _split(url: str) -> Tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("must be an https:// URL")
    if parts.scheme != "https" and not insecure_allowed():
        raise UnsafeUrl("must be an https:// URL")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("has an invalid port") from None
    return parts.scheme, parts.hostname, port


def resolve(url: str) -> Tuple[str, str, int, List[str]]:
    """(scheme, host, port, addresses) once the URL is found fetchable; else UnsafeUrl."""
    scheme, host, port = _split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        log.warning("provider URL %r does not resolve: %s", url, error)
        raise UnsafeUrl("its host name does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))  # IPv4/IPv6 sockaddr: host is a str
    if not insecure_allowed() and (not addresses or not all(public_address(a) for a in addresses)):
        log.warning("provider URL %r refused: it resolves to non-public addresses %s", url, addresses)
        raise UnsafeUrl("must resolve to public internet addresses only")
    return scheme, host, port, addresses


def check_url(url: str) -> None:
    """Refuse (UnsafeUrl) a URL the service would not fetch: for checks at creation and update."""
    resolve(url)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the address already checked, while TLS verifies the URL's host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def fetch_json(url: str) -> Any:
    """GET `url` (checked and pinned against DNS rebinding) and parse JSON; FetchFailed otherwise."""
    with _slots_lock:
        slot = _slots.setdefault(url, threading.BoundedSemaphore(PER_URL))
    if not slot.acquire(timeout=DEADLINE):
        log.warning("provider URL %r: too many concurrent fetches", url)
        raise FetchFailed("busy")
    try:
        return _fetch(url)
    finally:
        slot.release()


def _fetch(url: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    try:
        scheme, host, port, addresses = resolve(url)
    except UnsafeUrl as error:
        raise FetchFailed(str(error)) from None
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    remaining = max(0.1, deadline - time.monotonic())
    if scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
            host, addresses[0], port, remaining, ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(host, addresses[0], port, remaining)
    try:
        connection.request("GET", path, headers={"Accept": "application/json", "User-Agent": "cloudsignal"})
        response = connection.getresponse()
        if response.status != 200:
            log.warning("provider URL %r answered %s", url, response.status)
            raise FetchFailed("status")
        body = b""
        while len(body) <= MAX_BODY:
            if time.monotonic() > deadline:
                log.warning("provider URL %r: deadline of %ss passed", url, DEADLINE)
                raise FetchFailed("deadline")
            chunk = response.read(65536)
            if not chunk:
                break
            body += chunk
        if len(body) > MAX_BODY:
            log.warning("provider URL %r: body larger than %d bytes", url, MAX_BODY)
            raise FetchFailed("too large")
        return json.loads(body)
    except FetchFailed:
        raise
    except (OSError, http.client.HTTPException, ValueError, RecursionError) as error:
        log.warning("provider URL %r: fetch failed: %s", url, error)
        raise FetchFailed("failed") from None
    finally:
        connection.close()
