"""The audit history: events as the API shows them, and state at any past moment.

Point-in-time questions load only the aggregates they need, each from its own events up to the
moment asked about (the event store reads one aggregate's events by id), so their cost depends on
those aggregates' histories, not on the size of the whole log.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple
from uuid import UUID

from events.access.question import SourcedRule
from events.access.rules import as_rule
from events.domainmodel import AclRule, AclRuleSet, MqttUser, NameClaim

if TYPE_CHECKING:
    from events.application import CloudSignal

SECRET_FIELDS = {"password_hash", "key_hash", "secret"}
EVENT_BOOKKEEPING = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "request_id"}


# Deeper values (stored before writes were bounded) are shown as this text, so that whatever the
# store holds, presenting it cannot exhaust the stack.
MAX_SHOWN_DEPTH = 32
TOO_DEEP = f"(nested deeper than {MAX_SHOWN_DEPTH} levels; not shown)"


def redact(value: Any, depth: int = 0) -> Any:
    """Drop secret material (hashes, shared secrets) at any depth; times become ISO 8601 text and
    UUIDs text, so the result is plain JSON."""
    if isinstance(value, (dict, list, tuple)) and depth >= MAX_SHOWN_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {k: redact(v, depth + 1) for k, v in value.items() if k not in SECRET_FIELDS}
    if isinstance(value, (list, tuple)):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def present_event(domain_event: Any, position: Optional[int], label: Tuple[str, str, str, str],
                  key_names: Dict[str, str]) -> Dict[str, Any]:
    """An event as the API shows it; `label` is the aggregate's (class, kind, public id, name)."""
    class_name, kind, public_id, name = label
    change = {k: v for k, v in vars(domain_event).items() if k not in EVENT_BOOKKEEPING}
    actor = domain_event.actor
    return {
        "position": position,
        "time": domain_event.timestamp,
        "type": f"{class_name}.{type(domain_event).__name__}",  # MqttUser.Created, MqttUser.Deleted
        "aggregate": {"type": kind, "id": public_id, "name": name, "version": domain_event.originator_version},
        "actor": {"id": actor, "name": key_names.get(actor)},
        "request_id": domain_event.request_id,
        "change": redact(change),
    }


class PointInTime:
    """The organization's aggregates as they were at `at` (inclusive); an
    `events.access.question.AccessState`, so `ask` answers what access was then."""

    def __init__(self, app: "CloudSignal", org_id: str, at: datetime):
        self.app, self.org_id, self.at = app, org_id, at

    def history(self, aggregate_id: UUID) -> Tuple[Any, List[Any]]:
        """(the aggregate as it was at `at` or None, the events that made it so since its latest
        snapshot before `at`)."""
        aggregate: Any = None
        applied: List[Any] = []
        after: Optional[int] = None
        snapshots: Iterable[Any] = self.app.snapshots.get(aggregate_id, desc=True) if self.app.snapshots else ()
        for snapshot in snapshots:
            if snapshot.state["_modified_on"] <= self.at:
                aggregate, after = snapshot.mutate(None), snapshot.originator_version
                break
        domain_events: Iterable[Any] = self.app.events.get(aggregate_id, gt=after)
        for domain_event in domain_events:
            if domain_event.timestamp > self.at:
                break
            aggregate = domain_event.mutate(aggregate)
            applied.append(domain_event)
        if aggregate is not None and aggregate.deleted:
            aggregate = None
        return aggregate, applied

    def aggregate(self, aggregate_id: UUID) -> Any:
        return self.history(aggregate_id)[0]

    def all(self, aggregate_class: type) -> List[Any]:
        found = (self.aggregate(i) for i in self.app.view.ever(self.org_id, aggregate_class))
        return [aggregate for aggregate in found if aggregate is not None]

    def user(self, name: str) -> Tuple[Optional[MqttUser], List[Any]]:
        """The user holding `name` at `at`, found through the name's claim history."""
        claim, _ = self.history(NameClaim.create_id("user", self.org_id, name))
        if claim is None or claim.owner is None:
            return None, []
        return self.history(MqttUser.create_id(claim.owner))

    def rule_set_rules(self, org_id: str, rule_set_id: str) -> List[SourcedRule]:
        rule_set, events = self.history(AclRuleSet.create_id(rule_set_id))
        if rule_set is None:
            return []
        return [SourcedRule(as_rule(body), rule_set.name, events) for body in rule_set.rules]

    def organization_rules(self, org_id: str) -> List[SourcedRule]:
        rules = []
        for rule_id in self.app.view.ever(org_id, AclRule):
            aggregate, events = self.history(rule_id)
            if aggregate is not None:
                rules.append(SourcedRule(as_rule(aggregate.rule), "organization", events))
        return rules


def _runs(positions: List[int], gap: int = 64) -> List[Tuple[int, int]]:
    """Ranges (first, last) covering `positions` (ascending) that skip gaps wider than `gap`, so
    an organization among many reads its own events, not everyone's in between."""
    runs: List[Tuple[int, int]] = []
    for position in positions:
        if runs and position - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


def read_events(
    app: "CloudSignal", org_id: str, after: int, limit: int, wanted: Callable[[Dict[str, Any]], bool],
    scan_limit: int = 20000,
) -> Tuple[List[Dict[str, Any]], int, bool]:
    """Up to `limit` of the organization's events after position `after` that `wanted` keeps.

    Returns (events, the last position examined, whether more may follow). At most `scan_limit`
    events are examined per call, so a narrow filter over a long history answers in bounded time.
    """
    view = app.view
    key_names = {key.key_id: key.name for key in view.keys_of(org_id)}
    found: List[Dict[str, Any]] = []
    last, examined = after, 0
    more = True
    chunk_size = min(500, max(limit, 50))
    while len(found) < limit and examined < scan_limit:
        chunk = view.event_positions(org_id, last, chunk_size)  # from the history index, (org_id, position)
        if not chunk:
            more = False
            break
        chunk_size = 500  # a filter that keeps few events: read further at once
        members = set(chunk)
        notifications = [n for start, stop in _runs(chunk)
                         for n in app.recorder.select_notifications(start, stop - start + 1, stop=stop)
                         if n.id in members]
        index = 0
        while index < len(notifications) and len(found) < limit:  # decode only about what is needed
            piece = notifications[index:index + max(50, limit - len(found))]
            index += len(piece)
            decoded = [(n.id, app.mapper.to_domain_event(n)) for n in piece]
            labels = view.labels([event.originator_id for _, event in decoded])
            for position, domain_event in decoded:
                item = present_event(domain_event, position, labels[domain_event.originator_id], key_names)
                last = position
                examined += 1
                if wanted(item):
                    found.append(item)
                    if len(found) == limit:
                        break
        if len(found) < limit:
            last = chunk[-1]
    if more:
        more = view.history.has_after(org_id, last)
    return found, last, more
