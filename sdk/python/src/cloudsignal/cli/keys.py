"""``cloudsignal keys list|get|create|update|rotate|revoke``."""

from __future__ import annotations

from typing import Any, Optional, Sequence, cast

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._if_not_exists import if_not_exists_option, same_or_fail
from cloudsignal.cli._output import done, field, json_option, list_options, note, print_json, print_list, print_record
from cloudsignal.resources import NOT_GIVEN

SCOPES = ["users:read", "users:write", "acl:read", "acl:write", "sessions:read", "sessions:write", "publish",
          "keys:read", "keys:write", "organization:read", "organization:write", "tokens:create", "events:read"]
COLUMNS = [
    ("ID", field("id")),
    ("NAME", field("name")),
    ("TYPE", field("type")),
    ("KEY", field("masked_key")),
    ("STATUS", field("status")),
    ("SCOPES", field("scopes")),
    ("LAST USED", field("last_used_at")),
]
FIELDS = ["id", "name", "type", "masked_key", "status", "scopes", "expires_at", "last_used_at", "created_at"]


def show_new(key: Any, as_json: bool) -> None:
    if as_json:
        print_json(key)
        return
    print_record(key, ["key", *FIELDS])
    note("Store the key now: it is not shown again.")


@click.group()
def keys() -> None:
    """API keys: secret (sk_, everything), public (pk_, token exchange), restricted (rk_, scopes).

    \b
    Examples:
      cloudsignal keys list
      cloudsignal keys create --name ci --type restricted --scope users:write --scope acl:write
      cloudsignal keys rotate key_...
      cloudsignal keys revoke key_...
    """


@keys.command("list")
@list_options
def list_keys(limit: Optional[int], cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """List API keys (masked), with when each was last used.

    \b
    Example:
      cloudsignal keys list
    """
    print_list(state().api().api_keys.list(limit=limit, cursor=cursor), COLUMNS, as_json, fetch_all, "No keys.")


@keys.command("get")
@click.argument("key_id")
@json_option
def get_key(key_id: str, as_json: bool) -> None:
    """Show one key (masked).

    \b
    Example:
      cloudsignal keys get key_...
    """
    key = state().api().api_keys.get(key_id)
    if as_json:
        print_json(key)
    else:
        print_record(key, FIELDS)


@keys.command("create")
@click.option("--name", required=True, help="What the key is for.")
@click.option("--type", "key_type", type=click.Choice(["secret", "public", "restricted"]), default="secret",
              show_default=True)
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), help="For restricted keys (repeatable).")
@click.option("--expires-at", help="ISO 8601 with a time zone, e.g. 2030-01-01T00:00:00Z.")
@if_not_exists_option
@json_option
def create_key(name: str, key_type: str, scopes: Sequence[str], expires_at: Optional[str], if_not_exists: bool,
               as_json: bool) -> None:
    """Create a key; the full key is printed once.

    With --if-not-exists, an active key of that name with the same type and scopes is success:
    it is printed masked (its secret was shown only when it was created).

    \b
    Examples:
      cloudsignal keys create --name backend
      cloudsignal keys create --name browser --type public
      cloudsignal keys create --name ci --type restricted --scope users:write --scope acl:write
    """
    api = state().api()
    if if_not_exists:
        existing = next((key for key in api.api_keys.list(limit=500)
                         if key.get("name") == name and key.get("status") == "active"), None)
        if existing is not None:
            wanted = {"type": key_type, "scopes": sorted(scopes) if scopes else None}
            found = same_or_fail(f"Key {name}", {**existing, "scopes": sorted(existing.get("scopes") or [])}, wanted)
            if as_json:
                print_json(existing)
            else:
                print_record(found, FIELDS)
            return
    key = api.api_keys.create(name, type=cast(Any, key_type), scopes=list(scopes) or None, expires_at=expires_at)
    show_new(key, as_json)


@keys.command("update")
@click.argument("key_id")
@click.option("--name", help="New name.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), help="Replace a restricted key's scopes.")
@json_option
def update_key(key_id: str, name: Optional[str], scopes: Sequence[str], as_json: bool) -> None:
    """Rename a key or change a restricted key's scopes.

    \b
    Example:
      cloudsignal keys update key_... --name deploy-bot
    """
    if name is None and not scopes:
        raise click.UsageError("nothing to change: pass --name or --scope")
    key = state().api().api_keys.update(key_id, name=name if name is not None else NOT_GIVEN,
                                        scopes=list(scopes) if scopes else NOT_GIVEN)
    if as_json:
        print_json(key)
    else:
        print_record(key, FIELDS)


@keys.command("rotate")
@click.argument("key_id")
@json_option
def rotate_key(key_id: str, as_json: bool) -> None:
    """Replace a key by a new one with the same name, type and scopes; the old one stops working.

    \b
    Example:
      cloudsignal keys rotate key_...
    """
    show_new(state().api().api_keys.rotate(key_id), as_json)


@keys.command("revoke")
@click.argument("key_id")
@json_option
def revoke_key(key_id: str, as_json: bool) -> None:
    """Revoke a key; it stops working at once.

    \b
    Example:
      cloudsignal keys revoke key_...
    """
    state().api().api_keys.revoke(key_id)
    done(as_json, f"Revoked key {key_id}.", {"revoked": True, "id": key_id})
