"""``cloudsignal users list|get|create|update|delete|terminate``."""

from __future__ import annotations

from typing import Any, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._if_not_exists import if_not_exists_option, same_or_fail
from cloudsignal.cli._options import json_value
from cloudsignal.cli._output import done, field, json_option, list_options, note, print_json, print_list, print_record
from cloudsignal.errors import ConflictError
from cloudsignal.resources import NOT_GIVEN

COLUMNS = [
    ("USERNAME", field("username")),
    ("MQTT USERNAME", field("mqtt_username")),
    ("ACL SET", field("acl_set")),
    ("DISABLED", field("disabled")),
    ("CREATED", field("created_at")),
]
FIELDS = ["username", "mqtt_username", "id", "org_id", "acl_set", "disabled", "metadata", "created_at", "updated_at"]


def show(user: Any, as_json: bool) -> None:
    if as_json:
        print_json(user)
    else:
        print_record(user, FIELDS)


@click.group()
def users() -> None:
    """MQTT users: the credentials devices and services connect with.

    \b
    Examples:
      cloudsignal users list
      cloudsignal users create --username agent-01 --password secure-pw
      cloudsignal users create --username "service-${DEPLOY_ENV}" --password "${MQTT_PASSWORD}" --acl-set "backend-services"
      cloudsignal users update agent-01 --disable
      cloudsignal users delete agent-01
    """


@users.command("list")
@list_options
def list_users(limit: Optional[int], cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """List MQTT users, oldest first.

    \b
    Examples:
      cloudsignal users list
      cloudsignal users list --all --json
    """
    page = state().api().users.list(limit=limit, cursor=cursor)
    print_list(page, COLUMNS, as_json, fetch_all, "No users yet: cloudsignal users create --username NAME --password PW")


@users.command("get")
@click.argument("username")
@json_option
def get_user(username: str, as_json: bool) -> None:
    """Show one user (the name part of its MQTT username).

    \b
    Example:
      cloudsignal users get agent-01
    """
    show(state().api().users.get(username), as_json)


@users.command("create")
@click.option("--username", required=True, help="Name part of the MQTT username (letters, digits, - _ .).")
@click.option("--password", required=True, help="MQTT password.")
@click.option("--acl-set", help="Rule set (name or id) whose rules the user gets besides the organization's.")
@click.option("--metadata", metavar="JSON", help="A JSON object, inline or @file.")
@if_not_exists_option
@json_option
def create_user(username: str, password: str, acl_set: Optional[str], metadata: Optional[str], if_not_exists: bool,
                as_json: bool) -> None:
    """Create an MQTT user; it may connect at once as <username>@<org_id>.

    With --if-not-exists, a user of that name with the same rule set and metadata is success
    (its password is not compared: it cannot be read back).

    \b
    Examples:
      cloudsignal users create --username agent-01 --password secure-pw
      cloudsignal users create --username sensor-7 --password pw --acl-set sensors --metadata '{"site": "lab"}'
      cloudsignal users create --username "service-${DEPLOY_ENV}" --password "${MQTT_PASSWORD}" --acl-set backend-services --if-not-exists
    """
    api = state().api()
    parsed_metadata = json_value(metadata, "--metadata")
    try:
        user = api.users.create(username, password, acl_set=acl_set, metadata=parsed_metadata)
    except ConflictError:
        if not if_not_exists:
            raise
        existing = api.users.get(username)
        show(same_or_fail(f"User {username}", existing, {"acl_set": acl_set, "metadata": parsed_metadata},
                          "the password was not compared"), as_json)
        return
    show(user, as_json)
    if not as_json:
        note(f"Created user {user.get('mqtt_username', username)}.")


@users.command("update")
@click.argument("username")
@click.option("--password", help="New password (connected clients are disconnected).")
@click.option("--acl-set", help="Assign this rule set.")
@click.option("--no-acl-set", is_flag=True, help="Remove the rule set assignment.")
@click.option("--disable/--enable", "disabled", default=None, help="Disabled users cannot connect.")
@click.option("--metadata", metavar="JSON", help="Replace the metadata (JSON object, inline or @file).")
@json_option
def update_user(username: str, password: Optional[str], acl_set: Optional[str], no_acl_set: bool,
                disabled: Optional[bool], metadata: Optional[str], as_json: bool) -> None:
    """Change a user's password, rule set, disabled flag or metadata.

    \b
    Examples:
      cloudsignal users update agent-01 --password new-secret
      cloudsignal users update agent-01 --acl-set backend-services
      cloudsignal users update agent-01 --disable
    """
    if acl_set and no_acl_set:
        raise click.UsageError("--acl-set and --no-acl-set exclude each other")
    changes: dict[str, Any] = {}
    if password is not None:
        changes["password"] = password
    if acl_set is not None or no_acl_set:
        changes["acl_set"] = None if no_acl_set else acl_set
    if disabled is not None:
        changes["disabled"] = disabled
    if metadata is not None:
        changes["metadata"] = json_value(metadata, "--metadata")
    if not changes:
        raise click.UsageError("nothing to change: pass --password, --acl-set, --no-acl-set, --disable/--enable or --metadata")
    user = state().api().users.update(
        username,
        password=changes.get("password", NOT_GIVEN),
        acl_set=changes.get("acl_set", NOT_GIVEN),
        disabled=changes.get("disabled", NOT_GIVEN),
        metadata=changes.get("metadata", NOT_GIVEN),
    )
    show(user, as_json)


@users.command("delete")
@click.argument("username")
@json_option
def delete_user(username: str, as_json: bool) -> None:
    """Delete a user; its clients are disconnected and the name becomes free.

    \b
    Example:
      cloudsignal users delete agent-01
    """
    state().api().users.delete(username)
    done(as_json, f"Deleted user {username}.", {"deleted": True, "username": username})


@users.command("terminate")
@click.argument("username")
@json_option
def terminate_user(username: str, as_json: bool) -> None:
    """Disconnect every session of a user (it may connect again).

    \b
    Example:
      cloudsignal users terminate agent-01
    """
    result = state().api().users.terminate(username)
    done(as_json, f"Disconnected {result['sessions_terminated']} session(s) of {username}.", result)
