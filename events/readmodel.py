"""The in-memory read model: every live aggregate, indexed for the queries the service makes.

Built by replaying the application's notification log and kept current by following it, so
several processes sharing one event store agree. Lookups that miss catch up once before they
answer "not found", so a write made through another process is never reported missing.
"""

import hashlib
import json
import threading
from contextlib import contextmanager
from array import array
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar
from uuid import UUID

from events.acl import DEFAULT_PRIORITY, Rule
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
)
from events.errors import NotFound
from events.secrets import same_digest

if TYPE_CHECKING:
    from events.application import CloudSignal

T = TypeVar("T")
PAGE_SIZE = 10000
_SKIPPED_TOPIC_PREFIX = f"{NameClaim.__module__}:{NameClaim.__qualname__}."


class ReadModel:
    def __init__(self, app: "CloudSignal"):
        self._app = app
        self._lock = threading.Lock()
        self._follower: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self.position = 0  # id of the last notification applied
        self._aggregates: Dict[UUID, Any] = {}
        self._orgs: Dict[str, Organization] = {}
        self._users: Dict[str, Dict[str, MqttUser]] = {}
        self._rules: Dict[str, Dict[str, AclRule]] = {}
        self._rule_sets: Dict[str, Dict[str, AclRuleSet]] = {}
        self._keys: Dict[str, Dict[str, ApiKey]] = {}
        self._keys_by_hash: Dict[str, ApiKey] = {}
        self._sessions: Dict[str, Dict[str, Session]] = {}  # org -> session id -> session, in order
        self._open_sessions: Dict[str, Session] = {}  # session id -> session, every organization
        self._providers: Dict[str, Dict[str, AuthProvider]] = {}
        self._credentials: Dict[str, TemporaryCredential] = {}  # "tok_...@org" -> credential
        self._retained: Dict[str, Dict[str, RetainedMessage]] = {}  # org -> broker topic -> present message
        # For the audit history: where each organization's events are in the log, and every
        # aggregate it ever had (deleted ones too), by class.
        self._org_positions: Dict[str, "array[int]"] = {}
        self._org_of: Dict[UUID, str] = {}
        self._ever: Dict[str, Dict[type, List[UUID]]] = {}
        self._labels: Dict[UUID, Tuple[str, str, str, str]] = {}  # id -> (class, kind, public id, label)

    # -- following the log ------------------------------------------------------------------

    def catch_up(self, until: Optional[int] = None) -> int:
        """Apply every notification recorded since the last call (up to position `until`, if
        given); returns how many."""
        with self._lock:
            applied = 0
            recorder, mapper = self._app.recorder, self._app.mapper
            while until is None or self.position < until:
                page = recorder.select_notifications(self.position + 1, PAGE_SIZE, stop=until)
                for notification in page:
                    if not notification.topic.startswith(_SKIPPED_TOPIC_PREFIX):
                        self._apply(mapper.to_domain_event(notification), notification.id)
                    self.position = notification.id
                applied += len(page)
                if len(page) < PAGE_SIZE:
                    break
            return applied

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

    def _apply(self, domain_event: Any, position: int) -> None:
        aggregate = domain_event.mutate(self._aggregates.get(domain_event.originator_id))
        org_id = self._org_of.get(aggregate.id)
        if org_id is None:  # the aggregate's first event: note what the audit history needs
            org_id = self._org_of[aggregate.id] = aggregate.org_id
            self._ever.setdefault(org_id, {}).setdefault(type(aggregate), []).append(aggregate.id)
            self._labels[aggregate.id] = (type(aggregate).__name__, aggregate.kind, aggregate.public_id, aggregate.label)
        self._org_positions.setdefault(org_id, array("q")).append(position)
        if aggregate.deleted:
            self._aggregates.pop(aggregate.id, None)
        else:
            self._aggregates[aggregate.id] = aggregate
        self._index(aggregate)

    def _index(self, aggregate: Any) -> None:
        if isinstance(aggregate, Organization):
            self._orgs[aggregate.org_id] = aggregate
        elif isinstance(aggregate, MqttUser):
            users = self._users.setdefault(aggregate.org_id, {})
            if not aggregate.deleted:
                users[aggregate.name] = aggregate
            elif users.get(aggregate.name) is aggregate:
                del users[aggregate.name]
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
            self._credentials[f"{aggregate.name}@{aggregate.org_id}"] = aggregate
        elif isinstance(aggregate, RetainedMessage):
            held = self._retained.setdefault(aggregate.org_id, {})
            if aggregate.present:
                held[aggregate.topic] = aggregate
            else:
                held.pop(aggregate.topic, None)
        elif isinstance(aggregate, Session):
            _put(self._sessions, aggregate.org_id, aggregate.session_id, aggregate)
            if aggregate.disconnected_at is None:
                self._open_sessions[aggregate.session_id] = aggregate
            else:
                self._open_sessions.pop(aggregate.session_id, None)

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

    def find_user(self, org_id: str, name: str) -> MqttUser:
        return self._find(lambda: self._users.get(org_id, {}).get(name), f"user {name!r} not found")

    def users_of(self, org_id: str) -> List[MqttUser]:
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

    def event_positions(self, org_id: str) -> "array[int]":
        """Positions in the log of the organization's events, ascending."""
        return self._org_positions.get(org_id, array("q"))

    def label(self, aggregate_id: UUID) -> Tuple[str, str, str, str]:
        """(class name, kind, public id, readable name) of any aggregate the log ever had: its
        current name while it lives, the one it was created with once deleted."""
        class_name, kind, public_id, name = self._labels[aggregate_id]
        live = self._aggregates.get(aggregate_id)
        return class_name, kind, public_id, live.label if live is not None else name

    def org_of(self, aggregate_id: UUID) -> str:
        """The organization of any aggregate the log ever had."""
        return self._org_of[aggregate_id]

    def ever(self, org_id: str, aggregate_class: type) -> List[UUID]:
        """Ids of every aggregate of that class the organization ever had, deleted ones too."""
        return list(self._ever.get(org_id, {}).get(aggregate_class, ()))

    def credentials_of(self, org_id: str) -> List[TemporaryCredential]:
        """The organization's temporary credentials that have not expired."""
        now = datetime.now(timezone.utc)
        return [c for c in self._credentials.values() if c.org_id == org_id and c.expires_at > now]

    def find_credential(self, mqtt_username: str) -> Optional[TemporaryCredential]:
        try:
            return self._find(lambda: self._credentials.get(mqtt_username), "unknown credential")
        except NotFound:
            return None

    def effective_rules(self, user: Any) -> List[Tuple[Rule, str]]:
        """The rules that apply to `user` with where each comes from: its rule set's, then the
        organization's (`evaluate` orders them by priority)."""
        rules: List[Tuple[Rule, str]] = []
        if user.rule_set_id:
            rule_set = self.find_rule_set(user.org_id, user.rule_set_id)
            rules += [(as_rule(body), rule_set.name) for body in rule_set.rules]
        rules += [(as_rule(rule.rule), "organization") for rule in self.rules_of(user.org_id)]
        return rules

    def sessions_of(self, org_id: str) -> List[Session]:
        """Every session of the organization, open and closed, oldest first."""
        return list(self._sessions.get(org_id, {}).values())

    def open_sessions(self) -> List[Session]:
        return list(self._open_sessions.values())

    def session(self, session_id: str) -> Optional[Session]:
        return self._aggregates.get(Session.create_id(session_id))

    def open_sessions_of(self, org_id: str) -> List[Session]:
        return [s for s in self._sessions.get(org_id, {}).values() if s.disconnected_at is None]

    def retained_of(self, org_id: str) -> List[RetainedMessage]:
        """The organization's retained messages (topics as the broker knows them), by topic."""
        return sorted(self._retained.get(org_id, {}).values(), key=lambda m: m.topic)

    def retained_everywhere(self) -> Dict[str, List[str]]:
        """Every organization's retained topics (for the broker at its start)."""
        with self._lock:
            return {org: sorted(held) for org, held in self._retained.items() if held}

    def retained_message(self, org_id: str, topic: str) -> Optional[RetainedMessage]:
        """The aggregate of a topic's retained message, present or cleared, if it ever existed."""
        return self._aggregates.get(RetainedMessage.create_id(org_id, topic))

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


def as_rule(body: Dict[str, Any]) -> Rule:
    return Rule(
        id=body["id"], topic=body["topic"], action=body["action"], permission=body["permission"],
        priority=body.get("priority", DEFAULT_PRIORITY), user=body.get("user"),
    )


def digest(model: ReadModel) -> Dict[str, Dict[str, str]]:
    """A fingerprint of every live aggregate in the model: kind -> public id -> sha256 of its state.

    Two models built from the same log up to the same position have equal digests.
    """
    fingerprints: Dict[str, Dict[str, str]] = {}
    for aggregate in list(model._aggregates.values()):
        state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
        text = json.dumps(state, sort_keys=True, default=str)
        fingerprints.setdefault(aggregate.kind, {})[aggregate.public_id] = hashlib.sha256(text.encode()).hexdigest()
    return fingerprints
