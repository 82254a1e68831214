"""The calling API key: what it is and what it may do (so that a client can offer only that)."""

from typing import Any, Dict

import marshmallow as ma
from flask import g
from flask.views import MethodView

from app.extensions.smorest import Blueprint
from events.domainmodel import SCOPES

blp = Blueprint("whoami", __name__, url_prefix="/v2/whoami", description="The calling API key")


class WhoAmISchema(ma.Schema):
    key_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"description": "secret, public or restricted"})
    scopes = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "What the key may do: every scope for a secret key, none for a public key"})
    org_id = ma.fields.String(required=True)


@blp.route("")
class WhoAmIViews(MethodView):
    @blp.auth(None, public=True)
    @blp.doc(tags=["api_keys"])
    @blp.response(200, WhoAmISchema)
    def get(self) -> Dict[str, Any]:
        """Describe the calling API key and its scopes"""
        key = g.key
        scopes = list(SCOPES) if key.key_type == "secret" else list(key.scopes or ())
        return {"key_id": key.key_id, "name": key.name, "type": key.key_type, "scopes": scopes,
                "org_id": key.org_id}
