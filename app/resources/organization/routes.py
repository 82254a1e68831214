"""The caller's organization: identity, settings, quotas and usage."""

from typing import Any, Dict

from flask import current_app, g
from flask.views import MethodView

from app.current import current_domain
from app.extensions.smorest import Blueprint
from app.resources.organization.schemas import OrganizationPatchSchema, OrganizationSchema
from events.brokers import parse_brokers

blp = Blueprint("organization", __name__, url_prefix="/v2/organization", description="Organization")


def present(org_id: str, full: bool = True) -> Dict[str, Any]:
    domain = current_domain()
    view = domain.view
    org = view.organization(org_id)
    public = {"id": org.org_id, "name": org.name, "tenancy": current_app.config["TENANCY"]}
    if not full:
        return public
    serving = domain.broker_of(org_id)  # None with one broker: the field is left out, as before
    if serving is not None:
        endpoint = next(b.endpoint for b in parse_brokers(domain.env) if b.name == serving)
        public["broker"] = {"name": serving, "mqtt_url": endpoint}
    return {
        **public,
        "created_at": org.created_on,
        "settings": {"default_rule_set": org.settings.get("default_rule_set")},
        "quotas": domain.quotas(org_id),
        "usage": usage(org_id),
    }


def usage(org_id: str) -> Dict[str, int]:
    """Current counts, named like the quotas they count against."""
    domain = current_domain()
    view, quotas = domain.view, domain.quotas(org_id)
    limiter = current_app.extensions["cloudsignal.ratelimit"]
    return {
        "users": len(view.users_of(org_id)),
        "acl_rules": len(view.rules_of(org_id)),
        "rule_sets": len(view.rule_sets_of(org_id)),
        "api_keys": sum(1 for key in view.keys_of(org_id) if not key.revoked),
        "auth_providers": len(view.providers_of(org_id)),
        "connections": len(view.open_sessions_of(org_id)),
        "requests_this_minute": limiter.used("requests", org_id, quotas["rate_limit_per_minute"]),
        "http_messages_this_minute": limiter.used("messages", org_id, quotas["messages_per_minute"]),
    }


@blp.route("")
class OrganizationViews(MethodView):
    @blp.auth("organization:read", public=True)
    @blp.response(200, OrganizationSchema)
    def get(self) -> Dict[str, Any]:
        """Get the organization; public keys see only its id, name and tenancy"""
        return present(g.org_id, full=g.key.key_type != "public")

    @blp.auth("organization:write")
    @blp.arguments(OrganizationPatchSchema)
    @blp.response(200, OrganizationSchema)
    @blp.errors(404)
    def patch(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Rename the organization or change its settings"""
        current_domain().change_organization(g.org_id, **body)
        return present(g.org_id)
