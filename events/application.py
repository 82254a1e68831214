"""The CloudSignal application: commands that load aggregates, call them and save them.

Queries go to `self.view`, the in-memory read model that follows this application's log.
"""

from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple, Type, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFound, Application
from eventsourcing.persistence import IntegrityError

from events import ids
from events.access.rules import check_rule
from events.domainmodel import (
    AclRule,
    AclRuleSet,
    ApiKey,
    AuthProvider,
    MqttUser,
    NameClaim,
    Organization,
    Session,
    TemporaryCredential,
    split_mqtt_username,
)
from events.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from events.brokers import parse_brokers, place
from events.readmodel import ReadModel
from events import secret_box
from events.secrets import hash_password

DEFAULT_QUOTAS = {
    "max_users": 10000, "max_acl_rules": 1000, "max_rule_sets": 100, "max_api_keys": 100,
    "max_auth_providers": 20, "max_connections": 10000, "messages_per_minute": 60000,
    "rate_limit_per_minute": 6000, "max_retained_messages": 10000,
    # largest MQTT or HTTP publish payload; the broker's max_packet_size (2 MiB) bounds every packet
    "max_payload_bytes": 1048576,
}
# Quotas that may be None, no limit. In single tenancy (one organization: the operator's own) the
# per-minute ones are unlimited unless the operator sets CLOUDSIGNAL_<QUOTA> or an org's quota.
UNLIMITABLE_QUOTAS = ("max_connections", "messages_per_minute", "rate_limit_per_minute")
SINGLE_TENANCY_UNLIMITED = ("messages_per_minute", "rate_limit_per_minute")


def default_quotas(env: Any) -> Dict[str, Optional[int]]:
    """The deployment's quotas: CLOUDSIGNAL_<QUOTA> (a number, or `unlimited`), else the defaults."""
    single = (env.get("CLOUDSIGNAL_TENANCY") or "single") == "single"
    quotas: Dict[str, Optional[int]] = {}
    for name, default in DEFAULT_QUOTAS.items():
        value = (env.get(f"CLOUDSIGNAL_{name.upper()}") or "").strip().lower()
        if value in ("unlimited", "none") and name in UNLIMITABLE_QUOTAS:
            quotas[name] = None
        elif value:
            quotas[name] = int(value)
        else:
            quotas[name] = None if single and name in SINGLE_TENANCY_UNLIMITED else default
    return quotas

UNCHANGED: Any = object()  # marks an optional command argument the caller did not give


class _OrganizationsAggregate(Protocol):
    @property
    def org_id(self) -> Optional[str]: ...

    @property
    def deleted(self) -> bool: ...


A = TypeVar("A", bound=_OrganizationsAggregate)


class CloudSignal(Application):
    name = "CloudSignal"
    # Aggregates whose histories grow long (API keys record their use) are snapshotted, so loading
    # one, now or at a past moment, reads at most this many events after its latest snapshot.
    snapshotting_intervals = {ApiKey: 50, MqttUser: 50, Organization: 50, AclRuleSet: 50, TemporaryCredential: 50}

    def __init__(self, env: Optional[Dict[str, str]] = None, build_view: bool = True):
        """`build_view=False` skips replaying the log into `self.view` (tools that replay themselves)."""
        super().__init__(env=env)
        self.default_quotas = default_quotas(self.env)
        self.brokers = [b.name for b in parse_brokers(self.env)]  # [] : one broker (the default)
        self.view = ReadModel(self.recorder, self.mapper, self.repository, self.env)
        if build_view:
            self.view.start()  # from the latest matching snapshot, if any, then the log
        # Called after each successful commit with its events and the aggregates saved.
        self.listeners: List[Callable[[List[Any], Dict[UUID, Any]], None]] = []
        # Called after a commit that set a principal's password, with the plain text: the one moment
        # the service has it (the broker keeps a keyed verifier, docs/broker-protocol.md).
        self.password_listeners: List[Callable[[Any, str], None]] = []

    # -- plumbing ---------------------------------------------------------------------------

    def _commit(self, *aggregates: Any, conflict: str = "the resource changed meanwhile; retry") -> None:
        """Save atomically, then bring the read model up to date so the caller reads its write."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError as error:
            raise Conflict(conflict) from error
        finally:
            self.view.catch_up()
        events = [recording.domain_event for recording in recordings]
        by_id = {aggregate.id: aggregate for aggregate in aggregates}
        for listener in self.listeners:
            listener(events, by_id)

    def _password_set(self, principal: Any, password: str) -> None:
        for listener in self.password_listeners:
            listener(principal, password)

    def _get(self, aggregate_cls: Type[A], public_id: str, org_id: str, noun: str) -> A:
        try:
            aggregate: Any = self.repository.get(ids.aggregate_id(public_id))
        except AggregateNotFound:
            aggregate = None
        if not isinstance(aggregate, aggregate_cls) or aggregate.org_id != org_id or aggregate.deleted:
            raise NotFound(f"{noun} {public_id!r} not found")
        return aggregate

    def _claim(self, kind: str, org_id: str, name: str, owner: str) -> NameClaim:
        """Claim `name`; saving the claim with its owner makes a second claimant conflict."""
        claim_id = NameClaim.create_id(kind, org_id, name)
        try:
            claim: NameClaim = self.repository.get(claim_id)
        except AggregateNotFound:
            return NameClaim(kind=kind, org_id=org_id, name=name, owner=owner)
        if claim.owner is not None:
            raise Conflict(f"{kind} {name!r} already exists")
        claim.claim(owner)
        return claim

    def _release(self, kind: str, org_id: str, name: str) -> NameClaim:
        claim: NameClaim = self.repository.get(NameClaim.create_id(kind, org_id, name))
        claim.release()
        return claim

    def _check_quota(self, org_id: str, quota: str, used: int) -> None:
        limit = self.quotas(org_id)[quota]
        if limit is not None and used >= limit:
            raise QuotaExceeded(f"the organization has reached its {quota} quota of {limit}")

    def quotas(self, org_id: str) -> Dict[str, Optional[int]]:
        """The organization's limits; None is no limit."""
        return {**self.default_quotas, **self.view.organization(org_id).quotas}

    def change_quotas(self, org_id: str, quotas: Dict[str, Optional[int]]) -> Organization:
        """Set the organization's own limits (operators only: the server CLI); None: unlimited."""
        unknown = sorted(set(quotas) - set(DEFAULT_QUOTAS))
        if unknown:
            raise InvalidInput(f"unknown quotas: {', '.join(unknown)}; known: {', '.join(DEFAULT_QUOTAS)}")
        if any(value is None and name not in UNLIMITABLE_QUOTAS for name, value in quotas.items()):
            raise InvalidInput(f"only {', '.join(UNLIMITABLE_QUOTAS)} may be unlimited")
        if any(value is not None and (not isinstance(value, int) or value < 0) for value in quotas.values()):
            raise InvalidInput("quotas are whole numbers, 0 or more")
        org = self._get(Organization, org_id, org_id, "organization")
        merged = {**org.quotas, **quotas}
        if merged != org.quotas:
            org.change_quotas(merged)
            self._commit(org)
        return org

    # -- organizations ----------------------------------------------------------------------

    def create_organization(self, name: str, org_id: Optional[str] = None) -> Organization:
        org = Organization(org_id=org_id or ids.new_org_id(), name=name, settings={}, quotas={})
        if self.brokers:  # several brokers: placed by the rule of events/brokers.py
            org.assign_broker(place(self.brokers, [o.broker for o in self.view.organizations()]))
        self._commit(org, conflict=f"organization {org.org_id} already exists")
        return org

    def broker_of(self, org_id: str) -> Optional[str]:
        """The broker serving the organization; None when there is one broker (not configured)."""
        if not self.brokers:
            return None
        assigned = self.view.organization(org_id).broker
        return assigned if assigned in self.brokers else self.brokers[0]

    def assign_broker(self, org_id: str, broker: str) -> Organization:
        """Serve the organization from `broker` (operators only: the server CLI)."""
        if not self.brokers:
            raise InvalidInput("only one broker is configured (set CLOUDSIGNAL_BROKERS to name several)")
        if broker not in self.brokers:
            raise InvalidInput(f"unknown broker {broker!r}; configured: {', '.join(self.brokers)}")
        org = self._get(Organization, org_id, org_id, "organization")
        if org.broker != broker:
            org.assign_broker(broker)
            self._commit(org)
        return org

    def change_organization(
        self, org_id: str, name: str = UNCHANGED, settings: Dict[str, Any] = UNCHANGED
    ) -> Organization:
        org = self._get(Organization, org_id, org_id, "organization")
        if name is not UNCHANGED and name != org.name:
            org.rename(name)
        if settings is not UNCHANGED:
            merged = {**org.settings, **settings}
            rule_set = merged.get("default_rule_set")
            if rule_set is not None:
                merged["default_rule_set"] = self.view.find_rule_set(org_id, rule_set).rule_set_id
            if merged != org.settings:
                org.change_settings(merged)
        self._commit(org)
        return org

    # -- MQTT users -------------------------------------------------------------------------

    def create_user(
        self,
        org_id: str,
        name: str,
        password: str,
        rule_set: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> MqttUser:
        org = self.view.organization(org_id)
        self._check_quota(org_id, "max_users", len(self.view.users_of(org_id)))
        rule_set = rule_set or org.settings.get("default_rule_set")
        rule_set_id = self.view.find_rule_set(org_id, rule_set).rule_set_id if rule_set else None
        user_id = ids.new_id("usr")
        claim = self._claim("user", org_id, name, owner=user_id)
        user = MqttUser(
            user_id=user_id, org_id=org_id, name=name, password_hash=hash_password(password),
            rule_set_id=rule_set_id, metadata=metadata or {},
        )
        self._commit(claim, user, conflict=f"user {name!r} already exists")
        self._password_set(user, password)
        return user

    def change_user(
        self,
        org_id: str,
        name: str,
        password: str = UNCHANGED,
        rule_set: Optional[str] = UNCHANGED,
        disabled: bool = UNCHANGED,
        metadata: Dict[str, Any] = UNCHANGED,
    ) -> MqttUser:
        user = self._get(MqttUser, self.view.find_user(org_id, name).user_id, org_id, "user")
        if password is not UNCHANGED:
            user.change_password(hash_password(password))
        if rule_set is not UNCHANGED:
            rule_set_id = self.view.find_rule_set(org_id, rule_set).rule_set_id if rule_set else None
            if rule_set_id != user.rule_set_id:
                user.assign_rule_set(rule_set_id)
        if disabled is not UNCHANGED and disabled != user.disabled:
            user.disable() if disabled else user.enable()
        if metadata is not UNCHANGED and metadata != user.metadata:
            user.change_metadata(metadata)
        self._commit(user)
        if password is not UNCHANGED and not user.disabled:
            self._password_set(user, password)
        return user

    def delete_user(self, org_id: str, name: str) -> None:
        user = self._get(MqttUser, self.view.find_user(org_id, name).user_id, org_id, "user")
        user.delete()
        self._commit(user, self._release("user", org_id, name))

    # -- ACL rules and rule sets ------------------------------------------------------------

    def _new_rule(self, rule: Dict[str, Any]) -> Dict[str, Any]:
        check_rule(rule)
        return {"id": rule.get("id") or ids.new_id("rule"), **rule}

    def create_rule(self, org_id: str, rule: Dict[str, Any]) -> AclRule:
        self._check_quota(org_id, "max_acl_rules", len(self.view.rules_of(org_id)))
        body = self._new_rule(rule)
        aggregate = AclRule(rule_id=body["id"], org_id=org_id, rule=body)
        self._commit(aggregate)
        return aggregate

    def change_rule(self, org_id: str, rule_id: str, changes: Dict[str, Any]) -> AclRule:
        aggregate = self._get(AclRule, rule_id, org_id, "rule")
        body = {**aggregate.rule, **changes}
        check_rule(body)
        if body != aggregate.rule:
            aggregate.change(body)
        self._commit(aggregate)
        return aggregate

    def delete_rule(self, org_id: str, rule_id: str) -> None:
        aggregate = self._get(AclRule, rule_id, org_id, "rule")
        aggregate.delete()
        self._commit(aggregate)

    def create_rule_set(
        self, org_id: str, name: str, description: str, rules: List[Dict[str, Any]]
    ) -> AclRuleSet:
        self._check_quota(org_id, "max_rule_sets", len(self.view.rule_sets_of(org_id)))
        rule_set_id = ids.new_id("rs")
        claim = self._claim("rule set", org_id, name, owner=rule_set_id)
        rule_set = AclRuleSet(
            rule_set_id=rule_set_id, org_id=org_id, name=name, description=description,
            rules=[self._new_rule(rule) for rule in rules],
        )
        self._commit(claim, rule_set, conflict=f"rule set {name!r} already exists")
        return rule_set

    def change_rule_set(
        self,
        org_id: str,
        id_or_name: str,
        name: str = UNCHANGED,
        description: str = UNCHANGED,
        rules: List[Dict[str, Any]] = UNCHANGED,
    ) -> AclRuleSet:
        rule_set_id = self.view.find_rule_set(org_id, id_or_name).rule_set_id
        rule_set = self._get(AclRuleSet, rule_set_id, org_id, "rule set")
        changed: List[Any] = [rule_set]
        if name is not UNCHANGED and name != rule_set.name:
            changed += [self._claim("rule set", org_id, name, owner=rule_set_id),
                        self._release("rule set", org_id, rule_set.name)]
            rule_set.rename(name)
        if description is not UNCHANGED and description != rule_set.description:
            rule_set.describe(description)
        if rules is not UNCHANGED:
            rule_set.replace_rules([self._new_rule(rule) for rule in rules])
        self._commit(*changed, conflict=f"rule set {name!r} already exists")
        return rule_set

    def delete_rule_set(self, org_id: str, id_or_name: str) -> None:
        rule_set_id = self.view.find_rule_set(org_id, id_or_name).rule_set_id
        rule_set = self._get(AclRuleSet, rule_set_id, org_id, "rule set")
        users = [u.name for u in self.view.users_of(org_id) if u.rule_set_id == rule_set_id]
        if users:
            raise Conflict(
                f"rule set {rule_set.name!r} is assigned to {len(users)} user(s); reassign them first",
                {"users": users[:50]},
            )
        if self.view.organization(org_id).settings.get("default_rule_set") == rule_set_id:
            raise Conflict(f"rule set {rule_set.name!r} is the organization's default_rule_set")
        rule_set.delete()
        self._commit(rule_set, self._release("rule set", org_id, rule_set.name))

    # -- API keys ---------------------------------------------------------------------------

    def create_key(
        self,
        org_id: str,
        name: str,
        key_type: str,
        scopes: Optional[List[str]] = None,
        expires_at: Optional[datetime] = None,
        by: Optional[ApiKey] = None,
    ) -> Tuple[ApiKey, str]:
        """Mint a key; the plain key is returned here once and stored only as a hash.

        `by` is the key asking (None: the operator); it may not mint a key more powerful than itself."""
        key, secret = ApiKey.issue(org_id, name, key_type, scopes, expires_at, by)
        live = [k for k in self.view.keys_of(org_id) if not k.revoked]
        self._check_quota(org_id, "max_api_keys", len(live))
        self._commit(key)
        return key, secret

    def change_key(
        self, org_id: str, key_id: str, name: str = UNCHANGED, scopes: List[str] = UNCHANGED,
        by: Optional[ApiKey] = None,
    ) -> ApiKey:
        key = self._get(ApiKey, key_id, org_id, "API key")
        key.check_changeable_by(by)  # an empty change is still refused on a revoked or stronger key
        if name is not UNCHANGED:
            key.rename(name, by)
        if scopes is not UNCHANGED:
            key.change_scopes(scopes, by)
        self._commit(key)
        return key

    def revoke_key(self, org_id: str, key_id: str, by: Optional[ApiKey] = None) -> ApiKey:
        key = self._get(ApiKey, key_id, org_id, "API key")
        key.revoke(by)
        if key.pending_events:  # revoking a revoked key records nothing
            self._commit(key)
        return key

    def rotate_key(self, org_id: str, key_id: str, by: Optional[ApiKey] = None) -> Tuple[ApiKey, str]:
        """A new key with the same name, type, scopes and expiry; the old one is revoked."""
        old = self._get(ApiKey, key_id, org_id, "API key")
        new, secret = old.rotate(by)
        self._commit(old, new)
        return new, secret

    def record_key_use(self, key_id: str, at: datetime) -> None:
        """Note when a key was used; losing a race to another writer loses nothing of value."""
        key: ApiKey = self.repository.get(ids.aggregate_id(key_id))
        key.record_use(at)
        try:
            self._commit(key)
        except Conflict:
            pass

    # -- sessions (reported by the broker) ---------------------------------------------------

    def record_broker_events(self, broker_id: str, reports: List[Dict[str, Any]], broker: Optional[str] = None) -> int:
        """Apply a batch of the broker plugin's session reports; returns how many changed state.

        Idempotent, so the plugin may resend a batch it is unsure about: sessions already known
        are not opened again, closed ones not closed again.
        """
        self.view.catch_up()
        changed: Dict[str, Session] = {}

        def current(session_id: str) -> Optional[Session]:
            return changed.get(session_id) or self.view.session(session_id)

        for report in reports:
            at = datetime.fromtimestamp(report["at"] / 1000, timezone.utc)
            if report["type"] == "broker_started":
                for session in self.view.open_sessions():
                    # Several brokers: a (re)started broker ends only the sessions it served.
                    if broker is not None and self.brokers and self.broker_of(session.org_id) != broker:
                        continue
                    if session.broker_id != broker_id and session.session_id not in changed:
                        reopened: Session = self.repository.get(session.id)
                        reopened.close("broker_restart", at)
                        changed[session.session_id] = reopened
            elif report["type"] == "connected":
                parts = split_mqtt_username(report["username"])
                if current(report["session_id"]) is None and parts is not None:
                    changed[report["session_id"]] = Session(
                        session_id=report["session_id"], broker_id=broker_id, org_id=parts[1],
                        client_id=report["clientid"], username=parts[0], peer_address=report.get("peerhost"),
                        protocol_version=report.get("proto_ver"), clean_start=bool(report.get("clean_start")),
                        connected_at=at,
                    )
            elif report["type"] == "disconnected":
                ending = current(report["session_id"])
                if ending is not None and ending.disconnected_at is None:
                    closing: Session = changed.get(ending.session_id) or self.repository.get(ending.id)
                    closing.close(report.get("reason") or "client", at)
                    changed[closing.session_id] = closing
        if changed:
            self._commit(*changed.values())
        return len(changed)

    # -- auth providers and temporary credentials --------------------------------------------

    def create_auth_provider(self, org_id: str, name: str, provider_type: str, settings: Dict[str, Any]) -> AuthProvider:
        self._check_quota(org_id, "max_auth_providers", len(self.view.providers_of(org_id)))
        settings = self._resolve_rule_set(org_id, settings)
        settings = secret_box.seal_settings(settings)  # secrets encrypted at rest (key outside the store)
        provider_id = ids.new_id("ap")
        claim = self._claim("auth provider", org_id, name, owner=provider_id)
        provider = AuthProvider(provider_id=provider_id, org_id=org_id, name=name, provider_type=provider_type,
                                settings=settings)
        self._commit(claim, provider, conflict=f"auth provider {name!r} already exists")
        return provider

    def change_auth_provider(self, org_id: str, id_or_name: str, name: str, settings: Dict[str, Any]) -> AuthProvider:
        provider = self._get(AuthProvider, self.view.find_provider(org_id, id_or_name).provider_id, org_id,
                             "auth provider")
        settings = self._resolve_rule_set(org_id, settings)
        # The stored (encrypted) secret given back unchanged stays; a new or clear one is encrypted.
        settings = secret_box.seal_settings(settings, stored=provider.settings)
        changed: List[Any] = [provider]
        if name != provider.name:
            changed += [self._claim("auth provider", org_id, name, owner=provider.provider_id),
                        self._release("auth provider", org_id, provider.name)]
        if name != provider.name or settings != provider.settings:
            provider.change(name, settings)
        self._commit(*changed, conflict=f"auth provider {name!r} already exists")
        return provider

    def reseal_provider_secrets(self) -> List[str]:
        """Encrypt every live auth provider's secrets with the newest deployment key (clear ones
        stored before encryption too), one Changed event per provider that needs it; returns
        the ids of the providers changed. Run after a new key was put first in the key file."""
        self.view.catch_up()
        newest = secret_box.keys(create=True)[0]
        changed = []
        for org in self.view.organizations():
            for found in self.view.providers_of(org.org_id):
                if not secret_box.needs_reseal(found.settings, newest):
                    continue
                provider = self._get(AuthProvider, found.provider_id, org.org_id, "auth provider")
                settings = dict(provider.settings)
                for field in secret_box.SECRET_SETTINGS:
                    settings[field] = secret_box.reseal(settings.get(field))
                provider.change(provider.name, settings)
                self._commit(provider)
                changed.append(provider.provider_id)
        return changed

    def unreadable_provider_secrets(self, newest_only: bool = False) -> List[str]:
        """Ids of live providers whose secrets the key file cannot open (with only its newest key
        when `newest_only`)."""
        self.view.catch_up()
        keys = secret_box.keys()
        unreadable = []
        for org in self.view.organizations():
            for provider in self.view.providers_of(org.org_id):
                if newest_only:
                    if any(secret_box.is_sealed(provider.settings.get(f)) for f in secret_box.SECRET_SETTINGS) \
                            and secret_box.needs_reseal(provider.settings, keys[0]):
                        unreadable.append(provider.provider_id)
                    continue
                try:
                    secret_box.unseal_settings(provider.settings)
                except secret_box.SecretUnreadable:
                    unreadable.append(provider.provider_id)
        return unreadable

    def delete_auth_provider(self, org_id: str, id_or_name: str) -> None:
        provider = self._get(AuthProvider, self.view.find_provider(org_id, id_or_name).provider_id, org_id,
                             "auth provider")
        provider.delete()
        self._commit(provider, self._release("auth provider", org_id, provider.name))

    def _resolve_rule_set(self, org_id: str, settings: Dict[str, Any]) -> Dict[str, Any]:
        rule_set = settings.get("acl_set")
        if rule_set:
            settings = {**settings, "acl_set": self.view.find_rule_set(org_id, rule_set).rule_set_id}
        return settings

    def issue_credential(
        self,
        org_id: str,
        user_id: str,
        ttl: int,
        rule_set: Optional[str] = None,
        claims: Optional[Dict[str, str]] = None,
        provider_id: Optional[str] = None,
    ) -> Tuple[TemporaryCredential, str]:
        """Mint `tok_...@org` credentials valid for `ttl` seconds; the password is returned once."""
        TemporaryCredential.check_ttl(ttl)  # out of range: 400 before an unknown rule set's 404
        rule_set_id = self.view.find_rule_set(org_id, rule_set).rule_set_id if rule_set else None
        credential, password = TemporaryCredential.issue(org_id, user_id, ttl, rule_set_id, claims, provider_id)
        self._commit(credential)
        self._password_set(credential, password)
        return credential, password

    def refresh_credential(self, credential: TemporaryCredential) -> TemporaryCredential:
        """Extend unexpired credentials by their original lifetime from now. Credentials exchanged
        from a provider's token are extended only while that provider exists and is enabled."""
        fresh = self._get(TemporaryCredential, credential.credential_id, credential.org_id, "credential")
        provider_active = True
        if fresh.provider_id is not None:
            try:
                provider = self.view.find_provider(fresh.org_id, fresh.provider_id)
            except NotFound:
                provider = None
            provider_active = provider is not None and provider.settings.get("enabled") is not False
        fresh.extend(provider_active)  # expired: 400; provider gone or disabled: 403 provider_inactive
        self._commit(fresh)
        return fresh

    # -- policy as code ----------------------------------------------------------------------

    def apply_policy(
        self, org_id: str, rules: List[Dict[str, Any]], rule_sets: List[Dict[str, Any]], dry_run: bool = False
    ) -> Dict[str, Any]:
        """Make the organization's rules and rule sets exactly these, in one atomic commit.

        Rules with an `id` are that rule (changed when their fields differ); rules without one
        keep an identical existing rule or are created; existing rules not named are deleted.
        Rule sets are matched by name. Returns the plan (`created`, `changed`, `deleted`,
        `unchanged`); nothing is saved when `dry_run`, or when any part would fail.
        """
        from events.policy import PolicyPlan

        plan = PolicyPlan(self, org_id, rules, rule_sets)
        if not dry_run and plan.aggregates:
            self._commit(*plan.aggregates, conflict="the rules changed meanwhile; pull the policy and push again")
        return plan.summary(provisional_ids=dry_run)
