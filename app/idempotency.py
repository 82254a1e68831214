"""`Idempotency-Key` on every POST, with Stripe's rules.

For 24 hours, a POST carrying the same key and the same request (method, path, query and JSON
body, compared after canonical encoding) from the same API key gets the first reply again, marked
`Idempotent-Replayed: true`, and changes nothing. The same key with a different request is 409
`idempotency_key_reused`; while the first is still running, 409 `idempotency_key_in_use`. Replies
with status 400 (an invalid request) or 500 and more are not kept, so a corrected or later retry
runs again.

Records live in a small table next to the event store (`cloudsignal_idempotency`, created at
start), not in the event log: they are a transport-level cache that expires after a day and holds
whole replies, some of them secrets shown once (a new API key, temporary MQTT credentials). Events
are forever and replayed into every process; these rows are deleted when they expire, and every
worker process (gunicorn runs several on PostgreSQL) sees the same row, so a retry that lands on
another worker is answered the same. The row's key is a hash of the API key id and the
Idempotency-Key; the stored reply is encrypted (AES-GCM) with a key derived from the caller's API
key and the Idempotency-Key, so the database alone reveals nothing of it.
"""

import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Literal, Mapping, Optional, Tuple, Type, overload

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Response, current_app, g, request

from app.errors import ApiError

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
# A claim whose request never finished (its worker was killed) may be taken over after this long.
STALE_PENDING_SECONDS = 120
MAX_KEY_LENGTH = 255
KEPT_HEADERS = ("Content-Type", "Location")
TABLE = "cloudsignal_idempotency"
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    scope_hash TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    status INTEGER,
    body {{blob}},
    headers TEXT
)"""


@dataclass
class Claim:
    scope_hash: str
    cipher_key: bytes
    created_at: float


@dataclass
class Stored:
    fingerprint: str
    state: str
    created_at: float
    status: Optional[int]
    body: Optional[bytes]
    headers: Optional[str]


class Store:
    """The records, in one SQL table; a subclass says how to connect and spell the SQL."""

    placeholder = "?"
    blob = "BLOB"

    def __init__(self) -> None:
        self._local = threading.local()
        self._next_cleanup = 0.0

    # -- connections -------------------------------------------------------------------------

    def connect(self) -> Any:
        raise NotImplementedError

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self.connect()
        return connection

    @overload
    def _run(self, sql: str, args: Tuple[Any, ...] = (), fetch: Literal[False] = False) -> int: ...

    @overload
    def _run(self, sql: str, args: Tuple[Any, ...] = (), *, fetch: Literal[True]) -> Optional[Tuple[Any, ...]]: ...

    def _run(self, sql: str, args: Tuple[Any, ...] = (), fetch: bool = False) -> Any:
        """The row (fetch) or the number of rows changed; the cursor is a DB-API driver's (Any)."""
        sql = sql.replace("?", self.placeholder)
        for attempt in (1, 2):
            connection = self._connection()
            try:
                cursor = connection.cursor()
                cursor.execute(sql, args)
                result = cursor.fetchone() if fetch else cursor.rowcount
                cursor.close()
                return result
            except self.disconnected_errors() as error:  # a connection that died: one fresh try
                self._local.connection = None
                if attempt == 2:
                    raise ApiError(503, f"the event store is unavailable; retry shortly ({error.__class__.__name__})",
                                   "store_unavailable") from error
        return None

    def disconnected_errors(self) -> Tuple[Type[BaseException], ...]:
        return ()

    def create_table(self) -> None:
        for attempt in range(5):
            try:
                self._run(CREATE_TABLE.format(blob=self.blob))
                return
            except Exception as error:  # workers starting together race to create it
                if attempt == 4:
                    raise
                log.debug("creating %s: %s; retrying", TABLE, error)
                self._local.connection = None
                time.sleep(0.1 * (attempt + 1))

    # -- records -----------------------------------------------------------------------------

    def insert(self, scope_hash: str, fingerprint: str, now: float) -> bool:
        raise NotImplementedError

    def read(self, scope_hash: str) -> Optional[Stored]:
        row = self._run(f"SELECT fingerprint, state, created_at, status, body, headers FROM {TABLE} "
                        "WHERE scope_hash = ?", (scope_hash,), fetch=True)
        if row is None:
            return None
        body = bytes(row[4]) if row[4] is not None else None
        return Stored(row[0], row[1], float(row[2]), row[3], body, row[5])

    def take_over(self, scope_hash: str, fingerprint: str, was_created_at: float, now: float) -> bool:
        """Reuse an expired or abandoned record; False when another request took it first."""
        changed = self._run(f"UPDATE {TABLE} SET fingerprint = ?, state = 'pending', created_at = ?, status = NULL, "
                            "body = NULL, headers = NULL WHERE scope_hash = ? AND created_at = ?",
                            (fingerprint, now, scope_hash, was_created_at))
        return changed == 1

    def complete(self, scope_hash: str, status: int, body: bytes, headers: str) -> None:
        self._run(f"UPDATE {TABLE} SET state = 'done', status = ?, body = ?, headers = ? "
                  "WHERE scope_hash = ? AND state = 'pending'", (status, self.binary(body), headers, scope_hash))

    def release(self, scope_hash: str) -> None:
        self._run(f"DELETE FROM {TABLE} WHERE scope_hash = ? AND state = 'pending'", (scope_hash,))

    def binary(self, data: bytes) -> Any:
        return data

    def cleanup(self, now: float) -> None:
        """Delete expired records, at most every ten minutes per process."""
        if now < self._next_cleanup:
            return
        self._next_cleanup = now + 600
        self._run(f"DELETE FROM {TABLE} WHERE created_at < ?", (now - TTL_SECONDS,))


class PostgresStore(Store):
    placeholder = "%s"
    blob = "BYTEA"

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__()
        self.settings: Dict[str, Any] = {  # psycopg2.connect() keywords
            "dbname": env.get("POSTGRES_DBNAME"), "host": env.get("POSTGRES_HOST", "127.0.0.1"),
            "port": env.get("POSTGRES_PORT", "5432"), "user": env.get("POSTGRES_USER", "postgres"),
            "password": env.get("POSTGRES_PASSWORD", ""),
            "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT") or 5),
        }

    def connect(self) -> Any:
        import psycopg2

        connection = psycopg2.connect(**self.settings)
        connection.autocommit = True
        return connection

    def disconnected_errors(self) -> Tuple[Type[BaseException], ...]:
        import psycopg2

        return (psycopg2.OperationalError, psycopg2.InterfaceError)

    def binary(self, data: bytes) -> Any:
        import psycopg2

        return psycopg2.Binary(data)

    def insert(self, scope_hash: str, fingerprint: str, now: float) -> bool:
        return self._run(f"INSERT INTO {TABLE} (scope_hash, fingerprint, state, created_at) "
                         "VALUES (?, ?, 'pending', ?) ON CONFLICT (scope_hash) DO NOTHING",
                         (scope_hash, fingerprint, now)) == 1


class SqliteStore(Store):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def connect(self) -> Any:
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        return connection

    def insert(self, scope_hash: str, fingerprint: str, now: float) -> bool:
        return self._run(f"INSERT OR IGNORE INTO {TABLE} (scope_hash, fingerprint, state, created_at) "
                         "VALUES (?, ?, 'pending', ?)", (scope_hash, fingerprint, now)) == 1


class MemoryStore(Store):
    """For the in-memory event store (tests of the domain): one process, so a dict will do."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: Dict[str, Stored] = {}
        self.lock = threading.Lock()

    def create_table(self) -> None:
        pass

    def insert(self, scope_hash: str, fingerprint: str, now: float) -> bool:
        with self.lock:
            if scope_hash in self.rows:
                return False
            self.rows[scope_hash] = Stored(fingerprint, "pending", now, None, None, None)
            return True

    def read(self, scope_hash: str) -> Optional[Stored]:
        return self.rows.get(scope_hash)

    def take_over(self, scope_hash: str, fingerprint: str, was_created_at: float, now: float) -> bool:
        with self.lock:
            row = self.rows.get(scope_hash)
            if row is None or row.created_at != was_created_at:
                return False
            self.rows[scope_hash] = Stored(fingerprint, "pending", now, None, None, None)
            return True

    def complete(self, scope_hash: str, status: int, body: bytes, headers: str) -> None:
        with self.lock:
            row = self.rows.get(scope_hash)
            if row is not None and row.state == "pending":
                self.rows[scope_hash] = Stored(row.fingerprint, "done", row.created_at, status, body, headers)

    def release(self, scope_hash: str) -> None:
        with self.lock:
            row = self.rows.get(scope_hash)
            if row is not None and row.state == "pending":
                del self.rows[scope_hash]

    def cleanup(self, now: float) -> None:
        with self.lock:
            for scope_hash in [h for h, row in self.rows.items() if row.created_at < now - TTL_SECONDS]:
                del self.rows[scope_hash]


def store_for(env: Mapping[str, str]) -> Store:
    """The store beside the event store the domain application uses (its eventsourcing env)."""
    module = env.get("PERSISTENCE_MODULE", "")
    if module.endswith("postgres"):
        return PostgresStore(env)
    if module.endswith("sqlite"):
        path = env.get("SQLITE_DBNAME", "")
        if path and ":memory:" not in path and "mode=memory" not in path:
            return SqliteStore(path)
    return MemoryStore()


def install(app: Flask, env: Mapping[str, str]) -> None:
    """Create the table and keep the store on the app; finish claims after each request."""
    store = store_for(env)
    try:
        store.create_table()
    except Exception as error:  # the first POST with a key tries again
        log.warning("cannot create the %s table yet: %s", TABLE, error)
    app.extensions["cloudsignal.idempotency"] = store
    app.after_request(_finish)
    app.teardown_request(_abandon)


# -- per request ---------------------------------------------------------------------------------


def begin(key_id: str, api_key: str) -> Optional[Response]:
    """Called once the caller is authenticated, before the view: None to run the view (holding a
    claim when the request has an Idempotency-Key), or the stored reply to send again."""
    idempotency_key = request.headers.get(HEADER)
    if request.method != "POST" or idempotency_key is None:
        return None
    if not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise ApiError(400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters", "validation_error",
                       {HEADER: ["1 to 255 characters"]})
    store: Store = current_app.extensions["cloudsignal.idempotency"]
    scope_hash = hashlib.sha256(f"{key_id}\0{idempotency_key}".encode()).hexdigest()
    cipher_key = hmac.new(api_key.encode(), b"idempotency\0" + idempotency_key.encode(), hashlib.sha256).digest()
    fingerprint = request_fingerprint()
    now = time.time()
    store.cleanup(now)
    for _ in range(3):
        if _insert(store, scope_hash, fingerprint, now):
            g.idempotency_claim = Claim(scope_hash, cipher_key, now)
            return None
        row = store.read(scope_hash)
        if row is None:  # deleted meanwhile: claim again
            continue
        expired = row.created_at < now - TTL_SECONDS
        abandoned = row.state == "pending" and row.created_at < now - STALE_PENDING_SECONDS
        if expired or abandoned:
            if store.take_over(scope_hash, fingerprint, row.created_at, now):
                g.idempotency_claim = Claim(scope_hash, cipher_key, now)
                return None
            continue
        if row.fingerprint != fingerprint:
            raise ApiError(409, f"this {HEADER} was already used with a different request in the last 24 hours; "
                                "use a new key for a new request", "idempotency_key_reused")
        if row.state != "done" or row.body is None or row.status is None:
            raise ApiError(409, f"a request with this {HEADER} is still being processed; retry shortly",
                           "idempotency_key_in_use", headers={"Retry-After": "1"})
        return _replay(row, cipher_key, scope_hash)
    raise ApiError(409, f"a request with this {HEADER} is still being processed; retry shortly",
                   "idempotency_key_in_use", headers={"Retry-After": "1"})


def _insert(store: Store, scope_hash: str, fingerprint: str, now: float) -> bool:
    try:
        return store.insert(scope_hash, fingerprint, now)
    except ApiError:
        raise
    except Exception as error:  # the table is missing (created lazily after a failed start)
        log.info("idempotency insert failed (%s); creating the table", error)
        store._local.connection = None
        store.create_table()
        return store.insert(scope_hash, fingerprint, now)


def request_fingerprint() -> str:
    """What makes two requests the same: method, path, query and the JSON body, canonically."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")) if raw else ""
    except ValueError:
        body = raw.decode("utf-8", "replace")
    text = "\n".join([request.method, request.path, request.query_string.decode("latin-1"), body])
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(row: Stored, cipher_key: bytes, scope_hash: str) -> Response:
    assert row.body is not None and row.status is not None
    body = AESGCM(cipher_key).decrypt(row.body[:12], row.body[12:], scope_hash.encode())
    response = Response(body, status=row.status)
    for name, value in json.loads(row.headers or "{}").items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _finish(response: Response) -> Response:
    claim: Optional[Claim] = g.pop("idempotency_claim", None)
    if claim is None:
        return response
    store: Store = current_app.extensions["cloudsignal.idempotency"]
    if response.status_code == 400 or response.status_code >= 500 or response.is_streamed:
        store.release(claim.scope_hash)
        return response
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(claim.cipher_key).encrypt(nonce, response.get_data(), claim.scope_hash.encode())
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    try:
        store.complete(claim.scope_hash, response.status_code, sealed, json.dumps(headers))
    except Exception as error:  # the change is made: answer it; a retry with this key will run again
        log.warning("could not store the reply for an Idempotency-Key: %s", error)
        _release_quietly(store, claim)
    return response


def _abandon(error: Optional[BaseException]) -> None:
    """A request that ended without a reply (an exception past every handler) gives its claim back."""
    claim: Optional[Claim] = g.pop("idempotency_claim", None)
    if claim is not None:
        _release_quietly(current_app.extensions["cloudsignal.idempotency"], claim)


def _release_quietly(store: Store, claim: Claim) -> None:
    try:
        store.release(claim.scope_hash)
    except Exception as error:
        log.warning("could not release an Idempotency-Key claim: %s", error)

