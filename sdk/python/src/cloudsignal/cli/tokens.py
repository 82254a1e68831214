"""``cloudsignal tokens create|exchange|refresh``: temporary MQTT credentials."""

from __future__ import annotations

from typing import Any, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._output import json_option, note, print_json, print_record

FIELDS = ["mqtt_username", "mqtt_password", "expires_at", "expires_in", "user_id", "provider", "tenancy"]


def show(credentials: Any, as_json: bool) -> None:
    if as_json:
        print_json(credentials)
        return
    print_record(credentials, FIELDS)
    if credentials.get("mqtt_password"):
        note("The password is shown only now; the broker disconnects these credentials at expires_at.")


@click.group()
def tokens() -> None:
    """Temporary MQTT credentials (tok_...@org_...) that expire.

    \b
    Examples:
      cloudsignal tokens create --user-id device-9 --ttl 600
      cloudsignal tokens exchange --token "$ID_TOKEN" --provider auth
    """


@tokens.command("create")
@click.option("--user-id", required=True, help="Who the credentials are for (any string; {claims.sub} in rules).")
@click.option("--ttl", type=click.IntRange(1, 86400), help="Lifetime in seconds (default 3600).")
@click.option("--acl-set", help="Rule set the credentials get besides the organization's rules.")
@json_option
def create(user_id: str, ttl: Optional[int], acl_set: Optional[str], as_json: bool) -> None:
    """Mint credentials without an identity provider (needs the tokens:create scope).

    \b
    Example:
      cloudsignal tokens create --user-id device-9 --ttl 600 --acl-set sensors
    """
    show(state().api().tokens.create(user_id, ttl=ttl, acl_set=acl_set), as_json)


@tokens.command("exchange")
@click.option("--token", required=True, help="The identity provider's token (a JWT).")
@click.option("--provider", help="Provider name or id (optional when there is one).")
@click.option("--ttl", type=click.IntRange(1, 86400), help="Lifetime in seconds (capped by the provider).")
@json_option
def exchange(token: str, provider: Optional[str], ttl: Optional[int], as_json: bool) -> None:
    """Exchange an identity provider's token for credentials (a public key is enough).

    \b
    Example:
      cloudsignal --api-key pk_... tokens exchange --token "$ID_TOKEN" --provider auth
    """
    show(state().api().tokens.exchange(token, provider=provider, ttl=ttl), as_json)


@tokens.command("refresh")
@click.option("--username", required=True, help="The credentials' mqtt_username.")
@click.option("--password", required=True, help="The credentials' mqtt_password.")
@json_option
def refresh(username: str, password: str, as_json: bool) -> None:
    """Extend credentials that have not expired by their original lifetime.

    \b
    Example:
      cloudsignal tokens refresh --username tok_...@org_... --password ...
    """
    show(state().api().tokens.refresh(username, password), as_json)
