"""Temporary credentials that stay valid: refreshed at 80% of their lifetime, exchanged again
from a fresh identity token when they can no longer be refreshed."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from cloudsignal.errors import APIError, AuthenticationError
from cloudsignal.resources.tokens import Tokens
from cloudsignal.types import Credentials

log = logging.getLogger("cloudsignal.mqtt")

REFRESH_AT = 0.8  # of the lifetime
RETRY_DELAY = 5.0


class CredentialRefresher:
    """Keeps ``credentials`` alive; ``on_new(username, password)`` hears of new ones."""

    def __init__(
        self,
        tokens: Tokens,
        credentials: Credentials,
        on_new: Callable[[str, str], None],
        token_source: Optional[Callable[[], str]] = None,
        provider: Optional[str] = None,
        ttl: Optional[int] = None,
    ) -> None:
        self._tokens = tokens
        self._username = credentials["mqtt_username"]
        self._password = credentials["mqtt_password"]
        self._on_new = on_new
        self._token_source = token_source
        self._provider, self._ttl = provider, ttl
        self._lifetime = max(1.0, float(credentials.get("expires_in", 3600)))
        self._expires = time.monotonic() + self._lifetime
        self._timer: Optional[threading.Timer] = None
        self._lock = threading.Lock()
        self._active = False

    @property
    def expires_in(self) -> float:
        return self._expires - time.monotonic()

    def start(self) -> None:
        with self._lock:
            self._active = True
        self._schedule(max(0.0, self.expires_in - self._lifetime * (1 - REFRESH_AT)))

    def cancel(self) -> None:
        with self._lock:
            self._active = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _schedule(self, delay: float) -> None:
        with self._lock:
            if not self._active:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(delay, self._refresh)
            self._timer.daemon = True
            self._timer.start()

    def _adopt(self, credentials: Credentials) -> None:
        self._lifetime = max(1.0, float(credentials.get("expires_in", self._lifetime)))
        self._expires = time.monotonic() + self._lifetime

    def _refresh(self) -> None:
        try:
            self._adopt(self._tokens.refresh(self._username, self._password))
            log.info("temporary credentials %s refreshed for %.0fs", self._username, self._lifetime)
        except AuthenticationError as error:
            if self._token_source is None:
                log.error("cannot refresh %s (%s); the broker will disconnect them at expiry",
                          self._username, error)
                return
            if not self._exchange_again():
                return
        except APIError as error:
            delay = min(RETRY_DELAY, max(0.5, self.expires_in / 2))
            log.warning("refreshing %s failed (%s); retrying in %.1fs", self._username, error, delay)
            self._schedule(delay)
            return
        self._schedule(self._lifetime * REFRESH_AT)

    def _exchange_again(self) -> bool:
        assert self._token_source is not None
        try:
            credentials = self._tokens.exchange(self._token_source(), provider=self._provider, ttl=self._ttl)
        except Exception as error:  # the token source is user code
            log.error("exchanging a new token failed: %s; retrying in %.0fs", error, RETRY_DELAY)
            self._schedule(RETRY_DELAY)
            return False
        self._username, self._password = credentials["mqtt_username"], credentials["mqtt_password"]
        self._adopt(credentials)
        self._on_new(self._username, self._password)
        log.info("exchanged a new token for credentials %s", self._username)
        return True
