"""MQTT users: `<username>@<org_id>` with a password and an optional rule set."""

from typing import Any, Dict, Union

from flask import g
from flask.views import MethodView

from app.current import current_domain
from app.extensions.smorest import Blueprint
from app.pagination import ListArgsSchema, paginate
from app.resources.common import creation_order, timestamps
from app.resources.users.schemas import UserPageSchema, UserPatchSchema, UserSchema
from events.domainmodel import MqttUser
from events.readmodel import UserRecord

blp = Blueprint("users", __name__, url_prefix="/v2/users", description="MQTT users")


def present(user: Union[MqttUser, UserRecord]) -> Dict[str, Any]:
    """A user (the aggregate, or its read-model record) as the API shows it."""
    view = current_domain().view
    rule_set = user.rule_set_id and view.find_rule_set(user.org_id, user.rule_set_id).name
    return {
        "id": user.user_id,
        "username": user.name,
        "mqtt_username": user.mqtt_username,
        "org_id": user.org_id,
        "rule_set": rule_set or None,
        "disabled": user.disabled,
        "metadata": user.metadata,
        **timestamps(user),
    }


@blp.route("")
class UserViews(MethodView):
    @blp.auth("users:read")
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List MQTT users, oldest first"""
        users = [present(user) for user in current_domain().view.users_of(g.org_id)]
        return paginate(users, creation_order, args["limit"], args["cursor"])

    @blp.auth("users:write")
    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    @blp.errors(404, 409)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create an MQTT user

        The user can connect at once as `mqtt_username`. An unknown `acl_set` is 404; a taken
        username is 409.
        """
        user = current_domain().create_user(
            g.org_id, body["username"], body["password"], body.get("rule_set"), body.get("metadata")
        )
        return present(user)


@blp.route("/<string:username>")
class UserByNameViews(MethodView):
    @blp.auth("users:read")
    @blp.response(200, UserSchema)
    @blp.errors(404)
    def get(self, username: str) -> Dict[str, Any]:
        """Get an MQTT user"""
        return present(current_domain().view.find_user(g.org_id, username))

    @blp.auth("users:write")
    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    @blp.errors(404)
    def patch(self, body: Dict[str, Any], username: str) -> Dict[str, Any]:
        """Change an MQTT user's password, rule set, disabled flag or metadata"""
        return present(current_domain().change_user(g.org_id, username, **body))

    @blp.auth("users:write")
    @blp.response(204)
    @blp.errors(404)
    def delete(self, username: str) -> None:
        """Delete an MQTT user; the username becomes free again"""
        current_domain().delete_user(g.org_id, username)
