"""The in-memory read model: every live aggregate, indexed for the queries the service makes.

Built by replaying the application's notification log and kept current by following it, so
several processes sharing one event store agree. Lookups that miss catch up once before they
answer "not found", so a write made through another process is never reported missing.
"""

import gc
import hashlib
import json
import logging
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, TypeVar
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import ApplicationRecorder, Mapper

from events.domainmodel import (
    AclRule,
    AclRuleSet,
    ApiKey,
    AuthProvider,
    MqttUser,
    NameClaim,
    Organization,
    RetainedMessage,
    Session,
    TemporaryCredential,
    mqtt_username,
)
from events.errors import NotFound
from events.history import History, from_micros, micros
from events.snapshot import START_EVENTS, Snapshots
from events.ids import aggregate_id
from events.secrets import same_digest

T = TypeVar("T")
PAGE_SIZE = 10000
_SKIPPED_TOPIC_PREFIX = f"{NameClaim.__module__}:{NameClaim.__qualname__}."
CREDENTIAL_GRACE_SECONDS = 60  # expired temporary credentials leave memory this long after expiry
SWEEP_SECONDS = 30
log = logging.getLogger("cloudsignal.readmodel")


def credential_token(password_hash: str) -> int:
    """64 bits of sha256(password hash): changes whenever the password does (a new salted hash)."""
    return int(hashlib.sha256(password_hash.encode()).hexdigest()[:16], 16)


class UserRecord:
    """An MQTT user's current state, compact: what the hot paths read, in ~300 bytes.

    It answers like the MqttUser aggregate it stands for (same attribute names); the password
    hash is not held (the broker and the verified-credentials cache compare `credential_version`,
    a digest of it): reading `password_hash` loads the user from the event store, which only a
    slow (Argon2) verification needs anyway."""

    __slots__ = ("user_id", "org_id", "name", "credential", "rule_set_id", "_metadata", "disabled", "version",
                 "_created", "_modified", "_model")
    user_id: str
    org_id: str
    name: str
    credential: int  # credential_token(password hash)
    rule_set_id: Optional[str]
    _metadata: Optional[str]  # JSON text
    disabled: bool
    version: int
    _created: int  # microseconds since the epoch
    _modified: int
    _model: "ReadModel"
    deleted = False
    kind = "user"
    class_name = "MqttUser"  # the aggregate it stands for (audit labels)

    @property
    def id(self) -> UUID:
        return aggregate_id(self.user_id)

    @property
    def public_id(self) -> str:
        return self.user_id

    @property
    def label(self) -> str:
        return self.name

    @property
    def metadata(self) -> Dict[str, Any]:
        return json.loads(self._metadata) if self._metadata else {}

    @property
    def created_on(self) -> datetime:
        return from_micros(self._created)

    @property
    def modified_on(self) -> datetime:
        return from_micros(self._modified)

    @property
    def credential_version(self) -> str:
        return f"{self.credential:016x}"

    @property
    def mqtt_username(self) -> str:
        return mqtt_username(self.name, self.org_id)

    @property
    def password_hash(self) -> str:
        password_hash: str = self._model.repository.get(self.id).password_hash
        return password_hash

    def state(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "_model"}

    def as_tuple(self) -> Tuple[Any, ...]:
        return (self.user_id, self.org_id, self.name, self.credential, self.rule_set_id, self._metadata,
                self.disabled, self.version, self._created, self._modified)


def _metadata_text(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    return json.dumps(metadata, separators=(",", ":"), sort_keys=True) if metadata else None


_intern = sys.intern


class ReadModel:
    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper, repository: Repository, env: Mapping[str, str]):
        """A model of the log `recorder` holds (`mapper` decodes its events); `repository` loads
        what left memory; `env`: the history tables' and the snapshots' settings."""
        self.recorder, self.mapper, self.repository = recorder, mapper, repository
        self._lock = threading.Lock()
        self._follower: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self.position = 0  # id of the last notification applied
        # Every live aggregate but users (compact records, below); ended sessions, cleared retained
        # messages and long-expired credentials leave memory (their history is in self.history).
        self._aggregates: Dict[UUID, Any] = {}
        self._orgs: Dict[str, Organization] = {}
        self._users: Dict[str, Dict[str, UserRecord]] = {}  # org -> name -> user
        self._user_by_id: Dict[int, UserRecord] = {}  # aggregate UUID (as int) -> user
        self._rules: Dict[str, Dict[str, AclRule]] = {}
        self._rule_sets: Dict[str, Dict[str, AclRuleSet]] = {}
        self._keys: Dict[str, Dict[str, ApiKey]] = {}
        self._keys_by_hash: Dict[str, ApiKey] = {}
        self._sessions: Dict[str, Dict[str, Session]] = {}  # org -> session id -> open session, in order
        self._open_sessions: Dict[str, Session] = {}  # session id -> open session, every organization
        self._providers: Dict[str, Dict[str, AuthProvider]] = {}
        self._credentials: Dict[str, TemporaryCredential] = {}  # "tok_...@org" -> credential
        self._retained: Dict[str, Dict[str, RetainedMessage]] = {}  # org -> broker topic -> present message
        # For the audit history (where each organization's events are, every aggregate it ever
        # had, ended sessions): tables next to the event store, indexed as the log is applied.
        self.history = History(dict(env))
        self._next_sweep = 0.0
        self.snapshots = Snapshots(self, env)
        self.started_from: Optional[int] = None  # the snapshot's position, when started from one

    # -- starting: from a snapshot when there is a matching one, then the log -----------------

    def start(self) -> int:
        """Build the model: from the latest snapshot if it matches this store, then every event
        after it. Returns how many events were replayed.

        The cyclic garbage collector is held off meanwhile (millions of long-lived objects made
        it rescan everything again and again: 5x slower at a million users), then the model is
        frozen out of its reach (gc.freeze), which also keeps a forked snapshot writer's pages
        shared."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            if self.snapshots.load():
                self.started_from = self.position
            replayed = self.catch_up()
        finally:
            if collecting:
                gc.enable()
            gc.freeze()
        if replayed >= START_EVENTS and self.snapshots.enabled:
            try:
                self.snapshots.write()
            except Exception as error:
                log.warning("writing a read-model snapshot failed: %s", error)
        return replayed

    def capture(self) -> Dict[str, Any]:
        """The model's state for a snapshot (call with the model paused)."""
        return {"users": [(key, *user.as_tuple()) for key, user in self._user_by_id.items()],
                "aggregates": list(self._aggregates.values())}

    def restore(self, state: Dict[str, Any]) -> None:
        """Replace the model's state with a snapshot's (see events/snapshot.py)."""
        with self._lock:
            for key, *values in state["users"]:
                user = UserRecord()
                (user.user_id, org_id, user.name, user.credential, rule_set_id, user._metadata, user.disabled,
                 user.version, user._created, user._modified) = values
                user.org_id = _intern(org_id)
                user.rule_set_id = _intern(rule_set_id) if rule_set_id else None
                user._model = self
                self._user_by_id[key] = user
                self._users.setdefault(user.org_id, {})[user.name] = user
            for aggregate in state["aggregates"]:
                self._aggregates[aggregate.id] = aggregate
                self._index_aggregate(aggregate)
            self.position = state["position"]

    # -- following the log ------------------------------------------------------------------

    def catch_up(self, until: Optional[int] = None) -> int:
        """Apply every notification recorded since the last call (up to position `until`, if
        given); returns how many."""
        with self._lock:
            applied = 0
            recorder, mapper = self.recorder, self.mapper
            while until is None or self.position < until:
                page = recorder.select_notifications(self.position + 1, PAGE_SIZE, stop=until)
                entries: List[Tuple[int, Any, Optional[str], Any]] = []
                first = self.position + 1
                for notification in page:
                    if not notification.topic.startswith(_SKIPPED_TOPIC_PREFIX):
                        entries.append(self._apply(mapper.to_domain_event(notification), notification.id))
                    self.position = notification.id
                applied += len(page)
                if page:
                    self._index(first, self.position, entries)
                if len(page) < PAGE_SIZE:
                    break
            return applied

    def _index(self, first: int, last: int, entries: List[Tuple[int, Any, Optional[str], Any]]) -> None:
        """Bring the history tables up to `last` (a failure is retried with the next page)."""
        try:
            self.history.index(first, last, entries, self._stored_entries)
        except Exception as error:  # the store may be briefly unreachable: the next page fills the gap
            log.warning("indexing history up to %s failed: %s", last, error)

    def _stored_entries(self, after: int, until: int) -> Iterator[Tuple[int, Any, Optional[str], Any]]:
        """The history entries of positions (after, until], read from the store (a gap left by a
        failure, or a process that started from a snapshot ahead of the tables)."""
        recorder, mapper = self.recorder, self.mapper
        while after < until:
            page = recorder.select_notifications(after + 1, PAGE_SIZE, stop=until)
            if not page:
                return
            for notification in page:
                if not notification.topic.startswith(_SKIPPED_TOPIC_PREFIX):
                    event: Any = mapper.to_domain_event(notification)
                    aggregate = event.mutate(None) if event.originator_version == 1 else None
                    yield notification.id, event, None, aggregate
            after = page[-1].id

    def index_history(self) -> None:
        """Make sure the history tables hold everything this model applied."""
        if self.history.indexed < self.position:
            self._index(self.position + 1, self.position, [])  # fills (mark, position] from the store

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the follower still, for a consistent look at the whole model."""
        with self._lock:
            yield

    def follow(self, interval: float = 0.02, on_error: Optional[Callable[[Exception], None]] = None) -> None:
        """Keep catching up in a daemon thread every `interval` seconds."""

        def run() -> None:
            failing = False
            while not self._stopping.wait(interval):
                try:
                    self.catch_up()
                    self.sweep()
                    if self.snapshots.due():
                        self.snapshots.write()
                    failing = False
                except Exception as error:  # the store may be briefly unreachable; keep going
                    if on_error and not failing:  # once per outage, not every interval
                        on_error(error)
                    failing = True

        self._follower = threading.Thread(target=run, name="read-model-follower", daemon=True)
        self._follower.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._follower:
            self._follower.join()

    def _apply(self, domain_event: Any, position: int) -> Tuple[int, Any, Optional[str], Any]:
        """Apply one event; returns its history entry (position, event, organization, aggregate)."""
        kind = type(domain_event)
        if domain_event.originator_id.int in self._user_by_id or kind.__qualname__.startswith("MqttUser."):
            handler = _USER_EVENTS.get(kind)
            if handler is None:
                handler = _USER_EVENTS[kind] = _user_handler(kind.__name__)
            user = handler(self, domain_event)
            return position, domain_event, user.org_id, user
        originator_id = domain_event.originator_id
        previous = self._aggregates.get(originator_id)
        if previous is None and domain_event.originator_version > 1:
            # An aggregate that left memory (an ended session, a cleared retained message, an
            # expired credential) changed again: its state before this event is in the store.
            previous = self.repository.get(originator_id, version=domain_event.originator_version - 1)
        aggregate = domain_event.mutate(previous)
        if aggregate.org_id is not None:
            aggregate.org_id = _intern(aggregate.org_id)
        if aggregate.deleted or not self._keeps(aggregate):
            self._aggregates.pop(aggregate.id, None)
        else:
            self._aggregates[aggregate.id] = aggregate
        self._index_aggregate(aggregate)
        return position, domain_event, aggregate.org_id, aggregate

    @staticmethod
    def _keeps(aggregate: Any) -> bool:
        """Whether a live aggregate stays in memory (history does not)."""
        if isinstance(aggregate, Session):
            return aggregate.disconnected_at is None
        if isinstance(aggregate, RetainedMessage):
            return aggregate.present
        return True

    # -- users (compact records) ---------------------------------------------------------------

    def _user_created(self, event: Any) -> UserRecord:
        user = UserRecord()
        user._model = self
        user.user_id, user.org_id, user.name = event.user_id, _intern(event.org_id), event.name
        user.credential = credential_token(event.password_hash)
        user.rule_set_id = _intern(event.rule_set_id) if event.rule_set_id else None
        user._metadata = _metadata_text(event.metadata)
        user.disabled = False
        user.version = event.originator_version
        user._created = user._modified = micros(event.timestamp)
        self._user_by_id[event.originator_id.int] = user
        self._users.setdefault(user.org_id, {})[user.name] = user
        return user

    def _user(self, event: Any) -> UserRecord:
        user = self._user_by_id.get(event.originator_id.int)
        if user is None:  # cannot happen with a whole log; a clear error if it does
            raise KeyError(f"event {type(event).__qualname__} for unknown user {event.originator_id}")
        user.version = event.originator_version
        user._modified = micros(event.timestamp)
        return user

    def _user_deleted(self, event: Any) -> UserRecord:
        user = self._user(event)
        del self._user_by_id[event.originator_id.int]
        users = self._users.get(user.org_id, {})
        if users.get(user.name) is user:
            del users[user.name]
        return user

    def _index_aggregate(self, aggregate: Any) -> None:
        if isinstance(aggregate, Organization):
            self._orgs[aggregate.org_id] = aggregate
        elif isinstance(aggregate, AclRule):
            _put(self._rules, aggregate.org_id, aggregate.rule_id, aggregate)
        elif isinstance(aggregate, AclRuleSet):
            _put(self._rule_sets, aggregate.org_id, aggregate.rule_set_id, aggregate)
        elif isinstance(aggregate, ApiKey):
            _put(self._keys, aggregate.org_id, aggregate.key_id, aggregate)
            self._keys_by_hash[aggregate.key_hash] = aggregate
        elif isinstance(aggregate, AuthProvider):
            _put(self._providers, aggregate.org_id, aggregate.provider_id, aggregate)
        elif isinstance(aggregate, TemporaryCredential):
            self._credentials[aggregate.mqtt_username] = aggregate
        elif isinstance(aggregate, RetainedMessage):
            held = self._retained.setdefault(aggregate.org_id, {})
            if aggregate.present:
                held[aggregate.topic] = aggregate
            else:
                held.pop(aggregate.topic, None)
        elif isinstance(aggregate, Session):
            if aggregate.disconnected_at is None:
                self._sessions.setdefault(aggregate.org_id, {})[aggregate.session_id] = aggregate
                self._open_sessions[aggregate.session_id] = aggregate
            else:
                self._sessions.get(aggregate.org_id, {}).pop(aggregate.session_id, None)
                self._open_sessions.pop(aggregate.session_id, None)
                if not self._sessions.get(aggregate.org_id, True):
                    del self._sessions[aggregate.org_id]

    def sweep(self, now: Optional[datetime] = None) -> int:
        """Drop temporary credentials expired for more than a minute (their history stays in the
        store); returns how many. The follower calls it every 30 s."""
        if now is None:
            if time.monotonic() < self._next_sweep:
                return 0
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
            now = datetime.now(timezone.utc)
        cutoff = now.timestamp() - CREDENTIAL_GRACE_SECONDS
        with self._lock:
            gone = [name for name, c in self._credentials.items() if c.expires_at.timestamp() < cutoff]
            for name in gone:
                credential = self._credentials.pop(name)
                self._aggregates.pop(credential.id, None)
        return len(gone)

    def _find(self, lookup: Callable[[], Optional[T]], missing: str) -> T:
        found = lookup()
        if found is None:
            self.catch_up()
            found = lookup()
        if found is None:
            raise NotFound(missing)
        return found

    # -- queries ----------------------------------------------------------------------------

    def organization(self, org_id: str) -> Organization:
        return self._find(lambda: self._orgs.get(org_id), f"organization {org_id!r} not found")

    def organizations(self) -> List[Organization]:
        return list(self._orgs.values())

    def find_user(self, org_id: str, name: str) -> UserRecord:
        return self._find(lambda: self._users.get(org_id, {}).get(name), f"user {name!r} not found")

    def users_of(self, org_id: str) -> List[UserRecord]:
        return list(self._users.get(org_id, {}).values())

    def find_rule(self, org_id: str, rule_id: str) -> AclRule:
        return self._find(lambda: self._rules.get(org_id, {}).get(rule_id), f"rule {rule_id!r} not found")

    def rules_of(self, org_id: str) -> List[AclRule]:
        return list(self._rules.get(org_id, {}).values())

    def find_rule_set(self, org_id: str, id_or_name: str) -> AclRuleSet:
        def lookup() -> Optional[AclRuleSet]:
            sets = self._rule_sets.get(org_id, {})
            return sets.get(id_or_name) or next((s for s in sets.values() if s.name == id_or_name), None)

        return self._find(lookup, f"rule set {id_or_name!r} not found")

    def rule_sets_of(self, org_id: str) -> List[AclRuleSet]:
        return list(self._rule_sets.get(org_id, {}).values())

    def providers_of(self, org_id: str) -> List[AuthProvider]:
        return list(self._providers.get(org_id, {}).values())

    def find_provider(self, org_id: str, id_or_name: str) -> AuthProvider:
        def lookup() -> Optional[AuthProvider]:
            providers = self._providers.get(org_id, {})
            return providers.get(id_or_name) or next(
                (p for p in providers.values() if p.name == id_or_name), None)

        return self._find(lookup, f"auth provider {id_or_name!r} not found")

    def event_positions(self, org_id: str, after: int = 0, limit: int = 500) -> List[int]:
        """Positions in the log of the organization's events after `after`, ascending (from the
        history index)."""
        self.index_history()
        return self.history.positions_after(org_id, after, limit)

    def _live(self, aggregate_id: UUID) -> Any:
        return self._aggregates.get(aggregate_id) or self._user_by_id.get(aggregate_id.int)

    def label(self, aggregate_id: UUID) -> Tuple[str, str, str, str]:
        """(class name, kind, public id, readable name) of any aggregate the log ever had: its
        current name while it lives, the one it was created with once deleted."""
        live = self._live(aggregate_id)
        if live is not None:
            class_name = getattr(live, "class_name", None) or type(live).__name__
            return class_name, live.kind, live.public_id, live.label
        found = self.history.aggregate(aggregate_id)
        if found is None:
            self.index_history()
            found = self.history.aggregate(aggregate_id)
            if found is None:
                raise KeyError(aggregate_id)
        return found[1], found[2], found[3], found[4]

    def labels(self, aggregate_ids: List[UUID]) -> Dict[UUID, Tuple[str, str, str, str]]:
        """`label` of many aggregates, those that left memory read in one query."""
        found: Dict[UUID, Tuple[str, str, str, str]] = {}
        missing = []
        for aggregate_id in set(aggregate_ids):
            live = self._live(aggregate_id)
            if live is not None:
                found[aggregate_id] = (getattr(live, "class_name", None) or type(live).__name__, live.kind,
                                       live.public_id, live.label)
            else:
                missing.append(aggregate_id)
        if missing:
            found.update(self.history.aggregates(missing))
        for aggregate_id in missing:
            if aggregate_id not in found:
                found[aggregate_id] = self.label(aggregate_id)  # indexes first; KeyError if unknown
        return found

    def org_of(self, aggregate_id: UUID) -> str:
        """The organization of any aggregate the log ever had."""
        live = self._live(aggregate_id)
        if live is not None:
            org_id: str = live.org_id
            return org_id
        found = self.history.aggregate(aggregate_id)
        if found is None:
            raise KeyError(aggregate_id)
        return found[0]

    def ever(self, org_id: str, aggregate_class: type) -> List[UUID]:
        """Ids of every aggregate of that class the organization ever had, deleted ones too."""
        self.index_history()
        return self.history.ever(org_id, aggregate_class.__name__)

    def credentials_of(self, org_id: str) -> List[TemporaryCredential]:
        """The organization's temporary credentials that have not expired."""
        now = datetime.now(timezone.utc)
        return [c for c in self._credentials.values() if c.org_id == org_id and not c.has_expired(now)]

    def find_credential(self, mqtt_username: str) -> Optional[TemporaryCredential]:
        try:
            return self._find(lambda: self._credentials.get(mqtt_username), "unknown credential")
        except NotFound:
            return None

    def sessions_of(self, org_id: str) -> List[Session]:
        """The organization's live sessions, oldest first. Ended sessions left memory: ask
        `self.history` (`sessions`, `offline_persistent`, `sessions_overlapping`)."""
        return self.open_sessions_of(org_id)

    def open_sessions(self) -> List[Session]:
        return list(self._open_sessions.values())

    def session(self, session_id: str) -> Optional[Session]:
        """The session, live (from memory) or ended (from the store); None if never reported."""
        aggregate_id = Session.create_id(session_id)
        found: Optional[Session] = self._aggregates.get(aggregate_id)
        if found is None:
            try:
                found = self.repository.get(aggregate_id)
            except Exception:  # AggregateNotFound
                return None
        return found

    def open_sessions_of(self, org_id: str) -> List[Session]:
        return list(self._sessions.get(org_id, {}).values())

    def retained_of(self, org_id: str) -> List[RetainedMessage]:
        """The organization's retained messages (topics as the broker knows them), by topic."""
        return sorted(self._retained.get(org_id, {}).values(), key=lambda m: m.topic)

    def retained_everywhere(self) -> Dict[str, List[str]]:
        """Every organization's retained topics (for the broker at its start)."""
        with self._lock:
            return {org: sorted(held) for org, held in self._retained.items() if held}

    def retained_message(self, org_id: str, topic: str) -> Optional[RetainedMessage]:
        """The aggregate of a topic's retained message, present or cleared, if it ever existed."""
        aggregate_id = RetainedMessage.create_id(org_id, topic)
        found: Optional[RetainedMessage] = self._aggregates.get(aggregate_id)
        if found is None:
            try:
                found = self.repository.get(aggregate_id)
            except Exception:  # AggregateNotFound
                return None
        return found

    def find_key(self, org_id: str, key_id: str) -> ApiKey:
        return self._find(lambda: self._keys.get(org_id, {}).get(key_id), f"API key {key_id!r} not found")

    def keys_of(self, org_id: str) -> List[ApiKey]:
        return list(self._keys.get(org_id, {}).values())

    def key_by_hash(self, key_hash: str) -> Optional[ApiKey]:
        """The key whose hash is `key_hash`, revoked or not; None when there is none."""

        def lookup() -> Optional[ApiKey]:
            key = self._keys_by_hash.get(key_hash)
            return key if key is not None and same_digest(key.key_hash, key_hash) else None

        try:
            return self._find(lookup, "unknown key")
        except NotFound:
            return None


def _put(index: Dict[str, Dict[str, Any]], org_id: str, item_id: str, aggregate: Any) -> None:
    items = index.setdefault(org_id, {})
    if aggregate.deleted:
        items.pop(item_id, None)
    else:
        items[item_id] = aggregate


def digest(model: ReadModel, at: Optional[float] = None) -> Dict[str, Dict[str, str]]:
    """A fingerprint of every live aggregate in the model: kind -> public id -> sha256 of its state.

    Two models built from the same log up to the same position have equal digests. Temporary
    credentials expired at `at` (epoch seconds; default now) are left out: a running model lets
    them go, a fresh replay still holds them.
    """
    at = time.time() if at is None else at
    fingerprints: Dict[str, Dict[str, str]] = {}
    for aggregate in [*model._aggregates.values(), *model._user_by_id.values()]:
        if isinstance(aggregate, TemporaryCredential) and aggregate.has_expired(datetime.fromtimestamp(at, timezone.utc)):
            continue
        if isinstance(aggregate, UserRecord):
            state = aggregate.state()
        else:
            state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
        text = json.dumps(state, sort_keys=True, default=str)
        fingerprints.setdefault(aggregate.kind, {})[aggregate.public_id] = hashlib.sha256(text.encode()).hexdigest()
    return fingerprints


def _set(attribute: str, convert: Callable[[Any], Any]) -> Callable[[ReadModel, Any], UserRecord]:
    def handler(model: ReadModel, event: Any) -> UserRecord:
        user = model._user(event)
        setattr(user, attribute, convert(event))
        return user
    return handler


def _user_handler(event_name: str) -> Callable[[ReadModel, Any], UserRecord]:
    handlers: Dict[str, Callable[[ReadModel, Any], UserRecord]] = {
        "Created": ReadModel._user_created,
        "Deleted": ReadModel._user_deleted,
        "PasswordChanged": _set("credential", lambda e: credential_token(e.password_hash)),
        "RuleSetAssigned": _set("rule_set_id", lambda e: _intern(e.rule_set_id) if e.rule_set_id else None),
        "Disabled": _set("disabled", lambda e: True),
        "Enabled": _set("disabled", lambda e: False),
        "MetadataChanged": _set("_metadata", lambda e: _metadata_text(e.metadata)),
    }
    if event_name not in handlers:
        raise KeyError(f"the read model does not know MqttUser.{event_name}")
    return handlers[event_name]


_USER_EVENTS: Dict[type, Callable[[ReadModel, Any], UserRecord]] = {}
