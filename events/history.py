"""History kept next to the event store, in indexed tables, instead of in each process's memory.

The read model keeps what the hot paths need (users' current state, rules, keys, live sessions,
unexpired credentials). What only history questions need lives in three tables of the event
store's database, derived from the log and so rebuildable at any time:

- `cloudsignal_event_index (position, org_id, aggregate_id)`: where each organization's events are
  in the log (the event list, `GET /v2/events`), indexed by (org_id, position);
- `cloudsignal_aggregates (aggregate_id, org_id, class_name, kind, public_id, label, position)`:
  every aggregate the log ever had, with its name at creation (audit labels, `ever`);
- `cloudsignal_sessions`: every session, open and ended (`GET /v2/sessions/history`, offline
  persistent sessions, the usage history), indexed by (org_id, connected_at, session_id) and
  (org_id, client_id, connected_at).

Who writes them: every process's read model, after it applied a page of the log, indexes that
page, unless another process did already. A one-row mark (`cloudsignal_history_mark`) holds the
log position the tables are complete up to; the indexer takes it under a write lock, skips what
is below it, and fills any gap between the mark and its page from the store first. So the tables
are always a complete prefix of the log, whichever processes run, crash or start from a snapshot;
every write is idempotent besides.
"""

import logging
import os
import queue
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union, overload
from uuid import UUID

from events.domainmodel import mqtt_username

log = logging.getLogger("cloudsignal.history")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cloudsignal_history_mark (id INTEGER PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cloudsignal_event_index (position BIGINT PRIMARY KEY, org_id TEXT NOT NULL, "
    "aggregate_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS cloudsignal_event_index_org ON cloudsignal_event_index (org_id, position)",
    "CREATE TABLE IF NOT EXISTS cloudsignal_aggregates (aggregate_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, "
    "class_name TEXT NOT NULL, kind TEXT NOT NULL, public_id TEXT NOT NULL, label TEXT NOT NULL, "
    "position BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS cloudsignal_aggregates_org ON cloudsignal_aggregates (org_id, class_name, position)",
    "CREATE TABLE IF NOT EXISTS cloudsignal_sessions (session_id TEXT PRIMARY KEY, aggregate_id TEXT NOT NULL, "
    "org_id TEXT NOT NULL, broker_id TEXT, client_id TEXT NOT NULL, username TEXT NOT NULL, peer_address TEXT, "
    "protocol_version INTEGER, clean_start INTEGER NOT NULL, connected_at BIGINT NOT NULL, "
    "disconnected_at BIGINT, disconnect_reason TEXT)",
    "CREATE INDEX IF NOT EXISTS cloudsignal_sessions_org ON cloudsignal_sessions (org_id, connected_at, session_id)",
    "CREATE INDEX IF NOT EXISTS cloudsignal_sessions_client2 ON cloudsignal_sessions "
    "(org_id, client_id, connected_at, session_id)",
    "CREATE INDEX IF NOT EXISTS cloudsignal_sessions_user ON cloudsignal_sessions "
    "(org_id, username, connected_at, session_id)",
    "CREATE INDEX IF NOT EXISTS cloudsignal_sessions_aggregate ON cloudsignal_sessions (aggregate_id)",
)
# Connections each process opens to the history tables (a small pool: the follower's indexing and
# the requests that read history share it; PostgreSQL's max_connections counts every process's).
POOL_SIZE = max(1, int(os.environ.get("CLOUDSIGNAL_HISTORY_CONNECTIONS") or 2))
SESSION_COLUMNS = ("session_id", "org_id", "broker_id", "client_id", "username", "peer_address", "protocol_version",
                   "clean_start", "connected_at", "disconnected_at", "disconnect_reason")


@overload
def micros(moment: datetime) -> int: ...
@overload
def micros(moment: None) -> None: ...
@overload
def micros(moment: Optional[datetime]) -> Optional[int]: ...


def micros(moment: Optional[datetime]) -> Optional[int]:
    """Microseconds since the epoch (None stays None)."""
    if moment is None:
        return None
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


@overload
def from_micros(value: int) -> datetime: ...
@overload
def from_micros(value: None) -> None: ...
@overload
def from_micros(value: Optional[int]) -> Optional[datetime]: ...


def from_micros(value: Optional[int]) -> Optional[datetime]:
    """The moment of `micros` (None stays None)."""
    if value is None:
        return None
    seconds, rest = divmod(int(value), 1_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=rest)


@dataclass
class SessionRow:
    """An ended or live session as the history table holds it (the attributes of a Session)."""

    session_id: str
    org_id: str
    broker_id: Optional[str]
    client_id: str
    username: str
    peer_address: Optional[str]
    protocol_version: Optional[int]
    clean_start: bool
    connected_at: datetime
    disconnected_at: Optional[datetime]
    disconnect_reason: Optional[str]

    @property
    def mqtt_username(self) -> str:
        return mqtt_username(self.username, self.org_id)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "SessionRow":
        values = dict(zip(SESSION_COLUMNS, row))
        values["clean_start"] = bool(values["clean_start"])
        values["connected_at"] = from_micros(values["connected_at"])
        values["disconnected_at"] = from_micros(values["disconnected_at"])
        return cls(**values)


class History:
    """The history tables of one event store (PostgreSQL, SQLite, or an in-memory SQLite for the
    in-memory store of tests)."""

    def __init__(self, env: Dict[str, str]):
        self.env = env
        module = env.get("PERSISTENCE_MODULE", "")
        self.postgres = module == "eventsourcing.postgres"
        self.placeholder = "%s" if self.postgres else "?"
        self._orgs: "OrderedDict[UUID, str]" = OrderedDict()  # small cache for the indexer
        self._created = False
        if not self.postgres:
            path = env.get("SQLITE_DBNAME") or ":memory:"
            self.path = path
            self.memory = ":memory:" in path or "mode=memory" in path
        # An in-memory database lives in its one connection; a file or a server gets a pool.
        self._size = 1 if (not self.postgres and self.memory) else POOL_SIZE
        self._idle: "queue.LifoQueue[Any]" = queue.LifoQueue()
        self._opened = 0
        self._pool_lock = threading.Lock()
        self.indexed = 0  # the mark as this process last saw it
        _instances.add(self)  # a forked child opens its own connections (see the end of this module)

    def _after_fork(self) -> None:  # a child (a snapshot writer, a gunicorn worker) opens its own
        self._idle = queue.LifoQueue()
        self._opened = 0
        self._pool_lock = threading.Lock()
        if not self.postgres and self.memory:
            self._created = False

    # -- connections -----------------------------------------------------------------------

    def _connect(self) -> Any:
        if self.postgres:
            import psycopg2

            pg = psycopg2.connect(
                dbname=self.env.get("POSTGRES_DBNAME"), host=self.env.get("POSTGRES_HOST", "127.0.0.1"),
                port=self.env.get("POSTGRES_PORT", "5432"), user=self.env.get("POSTGRES_USER", "postgres"),
                password=self.env.get("POSTGRES_PASSWORD", ""),
                connect_timeout=int(self.env.get("POSTGRES_CONNECT_TIMEOUT") or 5))
            pg.autocommit = True
            return pg
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        if not self.memory:
            connection.execute("PRAGMA journal_mode=WAL")
        return connection

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection of the pool for the block; dropped (not returned) when the block failed."""
        connection = None
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            with self._pool_lock:
                fresh = self._opened < self._size
                if fresh:
                    self._opened += 1
            if fresh:
                try:
                    connection = self._connect()
                except BaseException:
                    with self._pool_lock:
                        self._opened -= 1
                    raise
            else:
                connection = self._idle.get(timeout=30)
        try:
            yield connection
        except BaseException:
            if self.postgres or not self.memory:  # the in-memory database must survive
                try:
                    connection.close()
                except Exception:
                    pass
                with self._pool_lock:
                    self._opened -= 1
                connection = None
            raise
        finally:
            if connection is not None:
                self._idle.put(connection)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def query(self, sql: str, args: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
        self.create()
        with self._connection() as connection:
            cursor = connection.cursor()
            cursor.execute(self._sql(sql), args)
            rows: List[Tuple[Any, ...]] = cursor.fetchall()  # a DB-API connection of either driver (Any)
            return rows

    def create(self) -> None:
        if self._created:
            return
        with self._connection() as connection:
            cursor = connection.cursor()
            for statement in SCHEMA:
                try:
                    cursor.execute(statement)
                except Exception as error:  # processes starting together race to create them
                    if self.postgres:
                        log.debug("history schema: %s", error)
                    else:
                        raise
            self._created = True

    # -- indexing ----------------------------------------------------------------------------

    def index(self, first: int, last: int, entries: Iterable[Tuple[int, Any, Optional[str], Any]],
              store_reader: Any) -> None:
        """Index log positions first..last (inclusive): `entries` are (position, domain event,
        its organization or None, the aggregate after it or None) of the events applied there
        (name claims left out). `store_reader(after, until)` yields the same for a gap."""
        if last <= self.indexed:
            return
        self.create()
        with self._connection() as connection:
            cursor = connection.cursor()
            try:
                if self.postgres:
                    cursor.execute("BEGIN")
                    cursor.execute("INSERT INTO cloudsignal_history_mark (id, position) VALUES (1, 0) "
                                   "ON CONFLICT (id) DO NOTHING")
                    cursor.execute("SELECT position FROM cloudsignal_history_mark WHERE id = 1 FOR UPDATE")
                else:
                    cursor.execute("BEGIN IMMEDIATE")
                    cursor.execute("INSERT OR IGNORE INTO cloudsignal_history_mark (id, position) VALUES (1, 0)")
                    cursor.execute("SELECT position FROM cloudsignal_history_mark WHERE id = 1")
                mark = cursor.fetchone()[0]
                if mark < last:
                    if mark < first - 1:
                        self._write(cursor, store_reader(mark, first - 1))
                    self._write(cursor, (entry for entry in entries if entry[0] > mark))
                    cursor.execute(self._sql("UPDATE cloudsignal_history_mark SET position = ? WHERE id = 1"), (last,))
                    mark = last
                cursor.execute("COMMIT")
                self.indexed = max(self.indexed, mark)
            except BaseException:
                try:
                    cursor.execute("ROLLBACK")
                except Exception:
                    pass
                raise

    def _write(self, cursor: Any, entries: Iterable[Tuple[int, Any, Optional[str], Any]]) -> None:
        events, aggregates, sessions_new, sessions_closed = [], [], [], []
        for position, event, org_id, aggregate in entries:
            originator = event.originator_id
            if event.originator_version == 1 and aggregate is not None:
                org_id = aggregate.org_id
                class_name = getattr(aggregate, "class_name", None) or type(aggregate).__name__
                aggregates.append((str(originator), org_id, class_name, aggregate.kind,
                                   aggregate.public_id, aggregate.label, position))
                self._remember(originator, org_id)
                if class_name == "Session":
                    sessions_new.append((aggregate.session_id, str(originator), org_id, aggregate.broker_id,
                                         aggregate.client_id, aggregate.username, aggregate.peer_address,
                                         aggregate.protocol_version, int(bool(aggregate.clean_start)),
                                         micros(aggregate.connected_at)))
            if org_id is None:
                org_id = self._org_of(cursor, originator)
                if org_id is None:
                    continue
            events.append((position, org_id, str(originator)))
            if type(event).__name__ == "Closed" and type(event).__qualname__.startswith("Session."):
                sessions_closed.append((micros(event.at), event.reason, str(originator)))
        conflict = " ON CONFLICT DO NOTHING"
        cursor.executemany(self._sql("INSERT INTO cloudsignal_aggregates (aggregate_id, org_id, class_name, kind, "
                                     "public_id, label, position) VALUES (?, ?, ?, ?, ?, ?, ?)" + conflict), aggregates)
        cursor.executemany(self._sql("INSERT INTO cloudsignal_event_index (position, org_id, aggregate_id) "
                                     "VALUES (?, ?, ?)" + conflict), events)
        cursor.executemany(self._sql(
            "INSERT INTO cloudsignal_sessions (session_id, aggregate_id, org_id, broker_id, client_id, username, "
            "peer_address, protocol_version, clean_start, connected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + conflict), sessions_new)
        cursor.executemany(self._sql("UPDATE cloudsignal_sessions SET disconnected_at = ?, disconnect_reason = ? "
                                     "WHERE aggregate_id = ?"), sessions_closed)

    def _remember(self, aggregate_id: UUID, org_id: str) -> None:
        self._orgs[aggregate_id] = org_id
        if len(self._orgs) > 10000:
            self._orgs.popitem(last=False)

    def _org_of(self, cursor: Any, aggregate_id: UUID) -> Optional[str]:
        org_id = self._orgs.get(aggregate_id)
        if org_id is None:
            cursor.execute(self._sql("SELECT org_id FROM cloudsignal_aggregates WHERE aggregate_id = ?"),
                           (str(aggregate_id),))
            row = cursor.fetchone()
            org_id = row[0] if row else None
            if org_id is not None:
                self._remember(aggregate_id, org_id)
        return org_id

    # -- questions ---------------------------------------------------------------------------

    def positions_after(self, org_id: str, after: int, limit: int) -> List[int]:
        rows = self.query("SELECT position FROM cloudsignal_event_index WHERE org_id = ? AND position > ? "
                          "ORDER BY position LIMIT ?", (org_id, after, limit))
        return [row[0] for row in rows]

    def has_after(self, org_id: str, after: int) -> bool:
        return bool(self.positions_after(org_id, after, 1))

    def aggregate(self, aggregate_id: UUID) -> Optional[Tuple[str, str, str, str, str]]:
        """(org id, class name, kind, public id, label at creation) of any aggregate ever indexed."""
        rows = self.query("SELECT org_id, class_name, kind, public_id, label FROM cloudsignal_aggregates "
                          "WHERE aggregate_id = ?", (str(aggregate_id),))
        return tuple(rows[0]) if rows else None

    def aggregates(self, aggregate_ids: Sequence[UUID]) -> Dict[UUID, Tuple[str, str, str, str]]:
        """(class name, kind, public id, label at creation) of many aggregates, by id."""
        found: Dict[UUID, Tuple[str, str, str, str]] = {}
        ids = [str(i) for i in aggregate_ids]
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            rows = self.query("SELECT aggregate_id, class_name, kind, public_id, label FROM cloudsignal_aggregates "
                              f"WHERE aggregate_id IN ({', '.join('?' for _ in part)})", tuple(part))
            for row in rows:
                found[UUID(row[0])] = (row[1], row[2], row[3], row[4])
        return found

    def ever(self, org_id: str, class_name: str) -> List[UUID]:
        rows = self.query("SELECT aggregate_id FROM cloudsignal_aggregates WHERE org_id = ? AND class_name = ? "
                          "ORDER BY position", (org_id, class_name))
        return [UUID(row[0]) for row in rows]

    def sessions(self, org_id: str, username: Optional[str] = None, client_ids: Sequence[str] = (),
                 since: Optional[datetime] = None, until: Optional[datetime] = None,
                 after: Optional[Tuple[int, str]] = None, limit: int = 50) -> List[SessionRow]:
        """The organization's sessions by (connected_at, session_id), oldest first."""
        if len(client_ids) > 1:  # one indexed range per form of the id, merged (an IN would sort the org)
            found = [row for client_id in client_ids
                     for row in self.sessions(org_id, username, [client_id], since, until, after, limit)]
            found.sort(key=lambda row: (row.connected_at, row.session_id))
            return found[:limit]
        where: List[str] = ["org_id = ?"]
        args: List[Union[str, int, None]] = [org_id]
        if username is not None:
            where.append("username = ?")
            args.append(username)
        if client_ids:
            where.append("client_id = ?")
            args.append(client_ids[0])
        if since is not None:
            where.append("connected_at >= ?")
            args.append(micros(since))
        if until is not None:
            where.append("connected_at < ?")
            args.append(micros(until))
        if after is not None:
            where.append("(connected_at > ? OR (connected_at = ? AND session_id > ?))")
            args += [after[0], after[0], after[1]]
        rows = self.query(f"SELECT {', '.join(SESSION_COLUMNS)} FROM cloudsignal_sessions WHERE "
                          f"{' AND '.join(where)} ORDER BY connected_at, session_id LIMIT ?", (*args, limit))
        return [SessionRow.from_row(row) for row in rows]

    def offline_persistent(self, org_id: str) -> List[SessionRow]:
        """Ended sessions of clients that asked to be kept (clean_start false), the latest of
        their client id."""
        columns = ", ".join(f"s.{c}" for c in SESSION_COLUMNS)
        rows = self.query(
            f"SELECT {columns} FROM cloudsignal_sessions s WHERE s.org_id = ? AND s.clean_start = 0 "
            "AND s.disconnected_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cloudsignal_sessions t "
            "WHERE t.org_id = s.org_id AND t.client_id = s.client_id AND (t.connected_at > s.connected_at OR "
            "(t.connected_at = s.connected_at AND t.session_id > s.session_id)))", (org_id,))
        return [SessionRow.from_row(row) for row in rows]

    def sessions_overlapping(self, org_id: str, start: datetime, end: datetime) -> List[SessionRow]:
        rows = self.query(
            f"SELECT {', '.join(SESSION_COLUMNS)} FROM cloudsignal_sessions WHERE org_id = ? AND connected_at < ? "
            "AND (disconnected_at IS NULL OR disconnected_at >= ?) ORDER BY connected_at",
            (org_id, micros(end), micros(start)))
        return [SessionRow.from_row(row) for row in rows]


_instances: "weakref.WeakSet[History]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for history in list(_instances):
        history._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
