"""Policy as code: the plan that makes an organization's rules and rule sets exactly those of a
policy document, and the aggregates that carry it out, saved by `CloudSignal.apply_policy` in one
commit (so a half-applied policy never exists)."""

from typing import Any, Dict, List, Protocol

from events import ids
from events.access.rules import check_rule
from events.domainmodel import AclRule, AclRuleSet, NameClaim
from events.errors import Conflict, InvalidInput, NotFound
from events.readmodel import ReadModel

POLICY_RULE_FIELDS = ("topic", "action", "permission", "priority", "user")


class Commands(Protocol):
    """What a plan uses of the application (`events.application.CloudSignal`, which imports this
    module): its read model, and the steps its own commands are made of."""

    view: ReadModel

    def _get(self, aggregate_cls: Any, public_id: str, org_id: str, noun: str) -> Any: ...

    def _claim(self, kind: str, org_id: str, name: str, owner: str) -> NameClaim: ...

    def _release(self, kind: str, org_id: str, name: str) -> NameClaim: ...

    def _new_rule(self, rule: Dict[str, Any]) -> Dict[str, Any]: ...

    def _check_quota(self, org_id: str, quota: str, used: int) -> None: ...


class PolicyPlan:
    """What `apply_policy` would change, and the aggregates that change it (loaded, not saved)."""

    def __init__(self, app: Commands, org_id: str, rules: List[Dict[str, Any]],
                 rule_sets: List[Dict[str, Any]]):
        self.app, self.org_id = app, org_id
        self.created: List[Dict[str, Any]] = []
        self.changed: List[Dict[str, Any]] = []
        self.deleted: List[Dict[str, Any]] = []
        self.unchanged = 0
        self.aggregates: List[Any] = []
        self._check(rules, rule_sets)
        self._plan_rules(rules)
        self._plan_rule_sets(rule_sets)

    @staticmethod
    def fields(rule: Dict[str, Any]) -> Dict[str, Any]:
        return {name: rule.get(name) for name in POLICY_RULE_FIELDS}

    def _check(self, rules: List[Dict[str, Any]], rule_sets: List[Dict[str, Any]]) -> None:
        problems: Dict[str, List[str]] = {}
        for where, rule in [(f"rules[{i}]", r) for i, r in enumerate(rules)] + [
                (f"rule_sets[{i}].rules[{j}]", r) for i, s in enumerate(rule_sets) for j, r in enumerate(s["rules"])]:
            try:
                check_rule(rule)
            except InvalidInput as error:
                problems[where] = [error.message]
        ids = [rule["id"] for rule in rules if rule.get("id")]
        names = [rule_set["name"] for rule_set in rule_sets]
        for label, values in (("rules", ids), ("rule_sets", names)):
            twice = sorted({value for value in values if values.count(value) > 1})
            if twice:
                problems[label] = [f"named more than once: {', '.join(twice)}"]
        if problems:
            raise InvalidInput("the policy is invalid; see detail", problems)

    def _plan_rules(self, rules: List[Dict[str, Any]]) -> None:
        app, view = self.app, self.app.view
        current = {rule.rule_id: rule for rule in view.rules_of(self.org_id)}
        kept = set()
        without_id = []
        for index, rule in enumerate(rules):
            body, rule_id = self.fields(rule), rule.get("id")
            if not rule_id:
                without_id.append(body)
                continue
            if rule_id not in current:
                raise NotFound(f"rule {rule_id!r} (rules[{index}]) not found; remove its id to create it",
                               {f"rules[{index}].id": ["no such rule in this organization"]})
            kept.add(rule_id)
            old = self.fields(current[rule_id].rule)
            if old == body:
                self.unchanged += 1
                continue
            self.changed.append({"kind": "rule", "id": rule_id, "changes": {
                name: {"from": old[name], "to": body[name]} for name in POLICY_RULE_FIELDS if old[name] != body[name]}})
            aggregate = app._get(AclRule, rule_id, self.org_id, "rule")
            aggregate.change({**aggregate.rule, **body})
            self.aggregates.append(aggregate)
        for body in without_id:
            same = next((rule_id for rule_id, rule in current.items()
                         if rule_id not in kept and self.fields(rule.rule) == body), None)
            if same:
                kept.add(same)
                self.unchanged += 1
                continue
            rule_id = ids.new_id("rule")
            self.created.append({"kind": "rule", "id": rule_id, "rule": body})
            self.aggregates.append(AclRule(rule_id=rule_id, org_id=self.org_id, rule={"id": rule_id, **body}))
        for rule_id, existing in current.items():
            if rule_id not in kept:
                self.deleted.append({"kind": "rule", "id": rule_id, "rule": self.fields(existing.rule)})
                aggregate = app._get(AclRule, rule_id, self.org_id, "rule")
                aggregate.delete()
                self.aggregates.append(aggregate)
        total = len(current) + sum(1 for item in self.created if item["kind"] == "rule") - len(
            [item for item in self.deleted if item["kind"] == "rule"])
        if total > len(current):
            app._check_quota(self.org_id, "max_acl_rules", total - 1)

    def _plan_rule_sets(self, rule_sets: List[Dict[str, Any]]) -> None:
        app, view = self.app, self.app.view
        current = {rule_set.name: rule_set for rule_set in view.rule_sets_of(self.org_id)}
        for wanted in rule_sets:
            name, description = wanted["name"], wanted.get("description") or ""
            rules = [self.fields(rule) for rule in wanted["rules"]]
            existing = current.get(name)
            if existing is None:
                self.created.append({"kind": "rule_set", "name": name, "description": description, "rules": rules})
                rule_set_id = ids.new_id("rs")
                self.aggregates += [
                    app._claim("rule set", self.org_id, name, owner=rule_set_id),
                    AclRuleSet(rule_set_id=rule_set_id, org_id=self.org_id, name=name, description=description,
                               rules=[app._new_rule(rule) for rule in rules]),
                ]
                continue
            old_rules = [self.fields(rule) for rule in existing.rules]
            changes: Dict[str, Any] = {}
            if description != existing.description:
                changes["description"] = {"from": existing.description, "to": description}
            if rules != old_rules:
                changes["rules"] = {"from": old_rules, "to": rules}
            if not changes:
                self.unchanged += 1
                continue
            self.changed.append({"kind": "rule_set", "name": name, "changes": changes})
            aggregate = app._get(AclRuleSet, existing.rule_set_id, self.org_id, "rule set")
            if "description" in changes:
                aggregate.describe(description)
            if "rules" in changes:
                aggregate.replace_rules([app._new_rule(rule) for rule in rules])
            self.aggregates.append(aggregate)
        wanted_names = {rule_set["name"] for rule_set in rule_sets}
        default = view.organization(self.org_id).settings.get("default_rule_set")
        for name, existing in current.items():
            if name in wanted_names:
                continue
            users = [u.name for u in view.users_of(self.org_id) if u.rule_set_id == existing.rule_set_id]
            if users:
                raise Conflict(f"the policy deletes rule set {name!r}, which is assigned to {len(users)} user(s); "
                               "reassign them first or keep the set", {"rule_set": name, "users": users[:50]})
            if default == existing.rule_set_id:
                raise Conflict(f"the policy deletes rule set {name!r}, the organization's default_rule_set",
                               {"rule_set": name})
            self.deleted.append({"kind": "rule_set", "name": name, "description": existing.description,
                                 "rules": [self.fields(rule) for rule in existing.rules]})
            aggregate = app._get(AclRuleSet, existing.rule_set_id, self.org_id, "rule set")
            aggregate.delete()
            self.aggregates += [aggregate, app._release("rule set", self.org_id, name)]
        created = sum(1 for item in self.created if item["kind"] == "rule_set")
        removed = sum(1 for item in self.deleted if item["kind"] == "rule_set")
        if created > removed:
            app._check_quota(self.org_id, "max_rule_sets", len(current) + created - removed - 1)

    def summary(self, provisional_ids: bool = False) -> Dict[str, Any]:
        """The plan; `provisional_ids`: new rules' ids are null (nothing was saved under them)."""
        created = [{**item, "id": None} if provisional_ids and item["kind"] == "rule" else item
                   for item in self.created]
        return {"created": created, "changed": self.changed, "deleted": self.deleted, "unchanged": self.unchanged}
