"""Credentials this process has already verified, so a returning client skips Argon2.

An MQTT password check costs an Argon2id verification (about 22 ms of CPU). Brokers that ask the
service on every CONNECT (stock mosquitto-go-auth, EMQX's HTTP authentication) would pay it for
every reconnect of every device. This cache remembers, per principal, a keyed digest of the last
password that verified:

    mac = HMAC-SHA256(process_key, mqtt_username || 0x00 || password)

`process_key` is random, made when the process starts (and again in a forked child), and never
leaves memory: the cache holds nothing an attacker could test passwords against offline, and a
core dump or another process gains nothing reusable.

Each entry also records the principal's `password_hash` at the time it verified. A hit needs the
principal's *current* hash to be that very string, and the principal to be neither disabled nor
expired at that moment, so every credential event invalidates it without a callback:

- password change: a new Argon2 hash (new salt), so the recorded one no longer matches;
- disable / temporary credential revoked: `principal.disabled` is read live;
- expiry of temporary credentials: `principal.expires_at` is read live;
- deletion (and re-creation with the same name and password): the caller finds no principal, or
  one with a fresh salted hash.

Only successful verifications are remembered, so this never caches a denial; but while an entry
holds the principal's current hash, any other password is wrong without hashing (that hash
verifies one password, the one remembered): a flood of wrong passwords for a known user costs an
HMAC each, not an Argon2, and takes as long as one for an unknown user. Size is bounded (least
recently used entries are dropped).

API:
    check(principal, password) -> bool     cached hit, or verify (Argon2 / sha256) and remember
    cached(principal, password) -> bool    hit only, never hashes
    remember(principal, password, hash)    after the caller verified the password itself against
                                           `hash`, read from the principal *before* verifying

The read model changes principals in place from another thread, so a remembered hash is always
the one read before verification: if the password changed meanwhile, the entry records the old
hash and simply never matches.
"""

import hashlib
import hmac
import os
import secrets
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Optional, Tuple

from events.domainmodel import mqtt_username
from events.secrets import hash_api_key, same_digest, verify_password

DEFAULT_MAX_ENTRIES = int(os.environ.get("CLOUDSIGNAL_VERIFIED_CACHE_SIZE", "100000"))


def principal_key(principal: Any) -> str:
    """The MQTT username a principal (MQTT user, its read-model record, temporary credentials)
    connects with."""
    return mqtt_username(principal.name, principal.org_id)


def hash_token(password_hash: str) -> str:
    """What an entry records of the hash it verified against: 16 hex of its sha256, the
    principal's `credential_version` (the read model's user records hold only that)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def current_token(principal: Any) -> str:
    known = getattr(principal, "credential_version", None)
    return known if known is not None else hash_token(principal.password_hash)


def _usable(principal: Any) -> bool:
    """Not disabled, not revoked, not expired: right now."""
    if principal is None or principal.disabled:
        return False
    expires = getattr(principal, "expires_at", None)
    return expires is None or expires > datetime.now(timezone.utc)


def _verify_slow(principal: Any, password_hash: str, password: str) -> bool:
    """The check at rest: sha256 for temporary credentials (32 random characters), else Argon2id."""
    if getattr(principal, "expires_at", None) is not None:
        return same_digest(password_hash, hash_api_key(password))
    return verify_password(password_hash, password)


class VerifiedCredentials:
    """A bounded, process-local map: MQTT username -> (password_hash, mac) of the last success."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.max_entries = max(0, max_entries)
        self._lock = threading.Lock()
        self._entries: "OrderedDict[str, Tuple[str, bytes]]" = OrderedDict()
        self._key = secrets.token_bytes(32)
        self.hits = 0
        self.misses = 0

    def _mac(self, username: str, password: str) -> bytes:
        message = username.encode("utf-8", "surrogatepass") + b"\x00" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def cached(self, principal: Any, password: str) -> bool:
        """True when this exact password verified for this principal's current hash; never hashes
        slowly. False for disabled or expired principals whatever the cache holds."""
        return _usable(principal) and self._known(principal, password) is True

    def _known(self, principal: Any, password: str) -> Optional[bool]:
        """Whether `password` is right, when an entry for the principal's current hash says so;
        None when there is no such entry."""
        username = principal_key(principal)
        with self._lock:
            entry: Optional[Tuple[str, bytes]] = self._entries.get(username)
            if entry is not None:
                self._entries.move_to_end(username)
        if entry is None or entry[0] != current_token(principal):
            self.misses += 1
            return None
        self.hits += 1
        return hmac.compare_digest(entry[1], self._mac(username, password))

    def remember(self, principal: Any, password: str, password_hash: str) -> None:
        """Record that `password` verified against `password_hash`, which the caller read from
        `principal` before verifying (never after: see the module's note on races)."""
        if self.max_entries == 0 or not _usable(principal):
            return
        username = principal_key(principal)
        entry = (hash_token(password_hash), self._mac(username, password))
        with self._lock:
            self._entries[username] = entry
            self._entries.move_to_end(username)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, principal_or_username: Any) -> None:
        """Drop one principal's entry (not needed for correctness: a stale entry never matches)."""
        username = principal_or_username if isinstance(principal_or_username, str) else principal_key(
            principal_or_username)
        with self._lock:
            self._entries.pop(username, None)

    def check(self, principal: Any, password: str) -> bool:
        """Is `password` right for `principal`, who is usable now? A hit costs one HMAC; a miss
        verifies the stored hash (Argon2id for MQTT users) and remembers a success."""
        if not _usable(principal):
            return False
        known = self._known(principal, password)
        if known is not None:
            return known
        password_hash = principal.password_hash
        if not _verify_slow(principal, password_hash, password):
            return False
        self.remember(principal, password, password_hash)
        return True

    def clear(self) -> None:
        """Forget everything and take a new key (used in a forked child)."""
        with self._lock:
            self._entries.clear()
            self._key = secrets.token_bytes(32)
            self.hits = self.misses = 0

    def _after_fork(self) -> None:
        self._lock = threading.Lock()  # the parent's may have been held by another thread
        self.clear()

    def __len__(self) -> int:
        return len(self._entries)


# The process's cache. A forked child (gunicorn worker) starts empty with its own key.
verified = VerifiedCredentials()
os.register_at_fork(after_in_child=verified._after_fork)


def check(principal: Any, password: str) -> bool:
    return verified.check(principal, password)


def cached(principal: Any, password: str) -> bool:
    return verified.cached(principal, password)


def remember(principal: Any, password: str, password_hash: str) -> None:
    verified.remember(principal, password, password_hash)
