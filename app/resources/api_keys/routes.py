"""API keys: secret (`sk_`), public (`pk_`) and restricted (`rk_`). Full keys are shown once."""

from typing import Any, Dict, Optional

from flask import g
from flask.views import MethodView

from app.current import current_domain
from app.extensions.smorest import Blueprint
from app.pagination import ListArgsSchema, paginate
from app.resources.api_keys.schemas import ApiKeyPageSchema, ApiKeyPatchSchema, ApiKeySchema, NewApiKeySchema
from app.resources.common import creation_order, timestamps
from events.domainmodel import ApiKey

blp = Blueprint("api_keys", __name__, url_prefix="/v2/api-keys", description="API keys")


def present(key: ApiKey, secret: Optional[str] = None) -> Dict[str, Any]:
    expired = key.has_expired()
    return {
        "id": key.key_id,
        "name": key.name,
        "type": key.key_type,
        "scopes": key.scopes,
        "expires_at": key.expires_at,
        "masked_key": key.hint,
        "status": "revoked" if key.revoked else "expired" if expired else "active",
        "last_used_at": key.last_used_at,
        **({"key": secret} if secret else {}),
        **timestamps(key),
    }


@blp.route("")
class ApiKeyViews(MethodView):
    @blp.auth("keys:read")
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, ApiKeyPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List API keys, masked, with when each was last used"""
        keys = [present(key) for key in current_domain().view.keys_of(g.org_id)]
        return paginate(keys, creation_order, args["limit"], args["cursor"])

    @blp.auth("keys:write")
    @blp.arguments(ApiKeySchema)
    @blp.response(201, NewApiKeySchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create an API key; the reply holds the full key, which is never shown again"""
        key, secret = current_domain().create_key(
            g.org_id, body["name"], body["type"], body.get("scopes"), body.get("expires_at"), by=g.key
        )
        return present(key, secret)


@blp.route("/<string:key_id>")
class ApiKeyByIdViews(MethodView):
    @blp.auth("keys:read")
    @blp.response(200, ApiKeySchema)
    @blp.errors(404)
    def get(self, key_id: str) -> Dict[str, Any]:
        """Get an API key (masked)"""
        return present(current_domain().view.find_key(g.org_id, key_id))

    @blp.auth("keys:write")
    @blp.arguments(ApiKeyPatchSchema)
    @blp.response(200, ApiKeySchema)
    @blp.errors(404, 409)
    def patch(self, body: Dict[str, Any], key_id: str) -> Dict[str, Any]:
        """Rename a key or change a restricted key's scopes"""
        return present(current_domain().change_key(g.org_id, key_id, **body, by=g.key))

    @blp.auth("keys:write")
    @blp.response(204)
    @blp.errors(404)
    def delete(self, key_id: str) -> None:
        """Revoke an API key; it stops working at once (other service processes: within ~20 ms)"""
        current_domain().revoke_key(g.org_id, key_id, by=g.key)


@blp.route("/<string:key_id>/rotate")
class ApiKeyRotateViews(MethodView):
    @blp.auth("keys:write")
    @blp.response(201, NewApiKeySchema)
    @blp.errors(404, 409)
    def post(self, key_id: str) -> Dict[str, Any]:
        """Replace a key: a new key with the same name, type and scopes; the old one is revoked"""
        key, secret = current_domain().rotate_key(g.org_id, key_id, by=g.key)
        return present(key, secret)
