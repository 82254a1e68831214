"""ACL rules (organization-wide), named rule sets, and the access simulator."""

from typing import Any, Dict

from flask import g
from flask.views import MethodView

from app.current import current_domain
from app.extensions.smorest import Blueprint
from app.pagination import ListArgsSchema, paginate
from app.resources.acl.schemas import (
    AclCheckSchema,
    AclDecisionSchema,
    AclRulePageSchema,
    AclRulePatchSchema,
    AclRuleSchema,
    RuleSetPageSchema,
    RuleSetPatchSchema,
    RuleSetSchema,
)
from app.resources.common import creation_order, timestamps
from events.access.question import Now, ask
from events.domainmodel import AclRule, AclRuleSet

blp = Blueprint("acl", __name__, url_prefix="/v2/acl", description="ACL rules, rule sets and the access check")


def present_rule(rule: AclRule) -> Dict[str, Any]:
    return {**rule.rule, **timestamps(rule)}


def present_rule_set(rule_set: AclRuleSet) -> Dict[str, Any]:
    users = current_domain().view.users_of(rule_set.org_id)
    return {
        "id": rule_set.rule_set_id,
        "name": rule_set.name,
        "description": rule_set.description,
        "rules": rule_set.rules,
        "users": sum(1 for user in users if user.rule_set_id == rule_set.rule_set_id),
        **timestamps(rule_set),
    }


@blp.route("/rules")
class AclRuleViews(MethodView):
    @blp.auth("acl:read")
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, AclRulePageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List the organization's rules, which apply to every user"""
        rules = [present_rule(rule) for rule in current_domain().view.rules_of(g.org_id)]
        return paginate(rules, creation_order, args["limit"], args["cursor"])

    @blp.auth("acl:write")
    @blp.arguments(AclRuleSchema)
    @blp.response(201, AclRuleSchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create an organization-level rule"""
        return present_rule(current_domain().create_rule(g.org_id, body))


@blp.route("/rules/<string:rule_id>")
class AclRuleByIdViews(MethodView):
    @blp.auth("acl:read")
    @blp.response(200, AclRuleSchema)
    @blp.errors(404)
    def get(self, rule_id: str) -> Dict[str, Any]:
        """Get a rule"""
        return present_rule(current_domain().view.find_rule(g.org_id, rule_id))

    @blp.auth("acl:write")
    @blp.arguments(AclRulePatchSchema)
    @blp.response(200, AclRuleSchema)
    @blp.errors(404)
    def patch(self, body: Dict[str, Any], rule_id: str) -> Dict[str, Any]:
        """Change some fields of a rule"""
        return present_rule(current_domain().change_rule(g.org_id, rule_id, body))

    @blp.auth("acl:write")
    @blp.response(204)
    @blp.errors(404)
    def delete(self, rule_id: str) -> None:
        """Delete a rule"""
        current_domain().delete_rule(g.org_id, rule_id)


@blp.route("/rule-sets")
class RuleSetViews(MethodView):
    @blp.auth("acl:read")
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, RuleSetPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List rule sets"""
        sets = [present_rule_set(s) for s in current_domain().view.rule_sets_of(g.org_id)]
        return paginate(sets, creation_order, args["limit"], args["cursor"])

    @blp.auth("acl:write")
    @blp.arguments(RuleSetSchema)
    @blp.response(201, RuleSetSchema)
    @blp.errors(409)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create a named rule set; users assigned to it get its rules plus the organization's"""
        rule_set = current_domain().create_rule_set(g.org_id, body["name"], body["description"], body["rules"])
        return present_rule_set(rule_set)


@blp.route("/rule-sets/<string:id_or_name>")
class RuleSetByIdViews(MethodView):
    @blp.auth("acl:read")
    @blp.response(200, RuleSetSchema)
    @blp.errors(404)
    def get(self, id_or_name: str) -> Dict[str, Any]:
        """Get a rule set by id or name"""
        return present_rule_set(current_domain().view.find_rule_set(g.org_id, id_or_name))

    @blp.auth("acl:write")
    @blp.arguments(RuleSetPatchSchema)
    @blp.response(200, RuleSetSchema)
    @blp.errors(404, 409)
    def patch(self, body: Dict[str, Any], id_or_name: str) -> Dict[str, Any]:
        """Rename a rule set, change its description or replace its rules"""
        return present_rule_set(current_domain().change_rule_set(g.org_id, id_or_name, **body))

    @blp.auth("acl:write")
    @blp.response(204)
    @blp.errors(404, 409)
    def delete(self, id_or_name: str) -> None:
        """Delete a rule set; 409 while users or the organization's default use it"""
        current_domain().delete_rule_set(g.org_id, id_or_name)


@blp.route("/check")
class AclCheckViews(MethodView):
    @blp.auth("acl:read")
    @blp.arguments(AclCheckSchema)
    @blp.response(200, AclDecisionSchema)
    @blp.errors(404)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Simulate an access decision with the same evaluation the broker uses"""
        view = current_domain().view
        user = view.find_user(g.org_id, body["username"])
        return ask(Now(view), user, username=body["username"], topic=body["topic"], action=body["action"],
                   client_id=body["client_id"]).as_json()
