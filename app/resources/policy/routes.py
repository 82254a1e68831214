"""Policy as code: the organization's rules and rule sets as one document, read and applied whole.

`POST /v2/acl/policy` makes the organization's rules and rule sets exactly those of the document,
as one batch of events saved atomically: every event carries the same actor and request id, and a
policy that fails anywhere (an invalid rule, a quota, a rule set still in use) changes nothing.
"""

from typing import Any, Dict

from flask import g
from flask.views import MethodView

from app.current import current_domain
from app.extensions.smorest import Blueprint
from app.resources.policy.schemas import PolicyApplySchema, PolicyPlanSchema, PolicySchema
from events.policy import POLICY_RULE_FIELDS

blp = Blueprint("acl_policy", __name__, url_prefix="/v2/acl/policy", description="ACL policy as one document")


def _rule(rule: Dict[str, Any], with_id: bool) -> Dict[str, Any]:
    fields = {name: rule.get(name) for name in POLICY_RULE_FIELDS}
    return {"id": rule["id"], **fields} if with_id else fields


def current_policy(org_id: str) -> Dict[str, Any]:
    view = current_domain().view
    rules = sorted(view.rules_of(org_id), key=lambda r: (r.created_on, r.rule_id))
    sets = sorted(view.rule_sets_of(org_id), key=lambda s: s.name)
    return {
        "rules": [_rule(rule.rule, with_id=True) for rule in rules],
        "rule_sets": [{"name": s.name, "description": s.description,
                       "rules": [_rule(rule, with_id=False) for rule in s.rules]} for s in sets],
    }


@blp.route("")
class PolicyViews(MethodView):
    @blp.auth("acl:read")
    @blp.doc(tags=["acl"])
    @blp.response(200, PolicySchema)
    def get(self) -> Dict[str, Any]:
        """Get the organization's rules and rule sets as one policy document"""
        return current_policy(g.org_id)

    @blp.auth("acl:write")
    @blp.doc(tags=["acl"])
    @blp.arguments(PolicyApplySchema)
    @blp.response(200, PolicyPlanSchema)
    @blp.errors(404, 409)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Apply a whole policy at once (or plan it with `dry_run`)

        Afterwards the organization's rules and rule sets are exactly the document's: rules with an
        `id` change that rule, rules without one keep an identical rule or are created, rules and
        rule sets the document does not name are deleted. All changes are saved as one commit
        whose events share this request's actor and id; if any part fails (400 invalid rule,
        403 quota, 404 unknown rule id, 409 rule set still assigned), nothing changes. The reply is
        the plan: `created`, `changed`, `deleted`.
        """
        dry_run = body["dry_run"]
        plan = current_domain().apply_policy(g.org_id, body["rules"], body["rule_sets"], dry_run=dry_run)
        applied = not dry_run and bool(plan["created"] or plan["changed"] or plan["deleted"])
        return {**plan, "dry_run": dry_run, "applied": applied, "request_id": g.get("request_id")}
