from __future__ import annotations

from typing import Optional, Sequence, Union, cast

from cloudsignal._http import HttpClient
from cloudsignal.pagination import Page
from cloudsignal.resources._base import NOT_GIVEN, NotGiven, Resource, fields, segment
from cloudsignal.types import AclDecision, AclRule, Action, Permission, Rule, RuleSet


class AclRules(Resource):
    """The organization's ACL rules (``/v2/acl/rules``), which apply to every user.

    Example::

        api.acl.rules.create("agents/{username}/#", action="publish", permission="allow")
    """

    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[AclRule]:
        """One page of rules, oldest first; iterate it to walk every rule."""
        return self._page("/v2/acl/rules", {}, limit, cursor)

    def get(self, rule_id: str) -> AclRule:
        return cast(AclRule, self._http.request("GET", f"/v2/acl/rules/{segment(rule_id)}"))

    def create(
        self,
        topic: str,
        *,
        action: Action,
        permission: Permission,
        priority: Optional[int] = None,
        user: Optional[str] = None,
    ) -> AclRule:
        """Create a rule. ``topic`` may use ``+``, ``#``, ``{username}``, ``{client_id}``,
        ``{org_id}``; ``user`` is an optional glob over usernames (``sensor-*``); the lowest
        ``priority`` is tried first."""
        body = fields(topic=topic, action=action, permission=permission,
                      priority=priority if priority is not None else NOT_GIVEN,
                      user=user if user is not None else NOT_GIVEN)
        return cast(AclRule, self._http.request("POST", "/v2/acl/rules", json=body))

    def update(
        self,
        rule_id: str,
        *,
        topic: Union[str, NotGiven] = NOT_GIVEN,
        action: Union[Action, NotGiven] = NOT_GIVEN,
        permission: Union[Permission, NotGiven] = NOT_GIVEN,
        priority: Union[int, NotGiven] = NOT_GIVEN,
        user: Union[str, None, NotGiven] = NOT_GIVEN,
    ) -> AclRule:
        """Change some fields of a rule; ``user=None`` makes it apply to every user."""
        body = fields(topic=topic, action=action, permission=permission, priority=priority, user=user)
        return cast(AclRule, self._http.request("PATCH", f"/v2/acl/rules/{segment(rule_id)}", json=body))

    def delete(self, rule_id: str) -> None:
        self._http.request("DELETE", f"/v2/acl/rules/{segment(rule_id)}")


class RuleSets(Resource):
    """Named rule sets (``/v2/acl/rule-sets``): a user assigned to one gets its rules plus the
    organization's.

    Example::

        api.acl.rule_sets.create("backend-services", rules=[
            {"topic": "services/#", "action": "both", "permission": "allow"}])
    """

    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[RuleSet]:
        return self._page("/v2/acl/rule-sets", {}, limit, cursor)

    def get(self, id_or_name: str) -> RuleSet:
        return cast(RuleSet, self._http.request("GET", f"/v2/acl/rule-sets/{segment(id_or_name)}"))

    def create(self, name: str, *, description: Optional[str] = None, rules: Optional[Sequence[Rule]] = None) -> RuleSet:
        body = fields(name=name, description=description if description is not None else NOT_GIVEN,
                      rules=[dict(rule) for rule in rules] if rules is not None else NOT_GIVEN)
        return cast(RuleSet, self._http.request("POST", "/v2/acl/rule-sets", json=body))

    def update(
        self,
        id_or_name: str,
        *,
        name: Union[str, NotGiven] = NOT_GIVEN,
        description: Union[str, NotGiven] = NOT_GIVEN,
        rules: Union[Sequence[Rule], NotGiven] = NOT_GIVEN,
    ) -> RuleSet:
        """Rename, describe, or replace every rule of the set (``rules``)."""
        body = fields(name=name, description=description,
                      rules=NOT_GIVEN if isinstance(rules, NotGiven) else [dict(rule) for rule in rules])
        return cast(RuleSet, self._http.request("PATCH", f"/v2/acl/rule-sets/{segment(id_or_name)}", json=body))

    def delete(self, id_or_name: str) -> None:
        """Delete a rule set; ConflictError while users or the organization's default use it."""
        self._http.request("DELETE", f"/v2/acl/rule-sets/{segment(id_or_name)}")


class Acl:
    """``api.acl.rules``, ``api.acl.rule_sets`` and ``api.acl.check(...)``."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http
        self.rules = AclRules(http)
        self.rule_sets = RuleSets(http)

    def check(
        self,
        username: str,
        topic: str,
        action: str,
        *,
        client_id: Optional[str] = None,
    ) -> AclDecision:
        """Simulate the broker's decision for a user (``action`` publish or subscribe).

        Example::

            decision = api.acl.check("agent-01", "agents/agent-01/state", "publish")
            print(decision["allowed"], decision["reason"])
        """
        body = {"username": username, "topic": topic, "action": action, "client_id": client_id}
        return cast(AclDecision, self._http.request("POST", "/v2/acl/check", json=body))
