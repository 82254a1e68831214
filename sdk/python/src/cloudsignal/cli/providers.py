"""``cloudsignal providers list|get|create|update|delete``: identity providers for token exchange."""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._if_not_exists import if_not_exists_option, same_or_fail
from cloudsignal.errors import ConflictError
from cloudsignal.cli._output import done, field, json_option, list_options, note, print_json, print_list, print_record

F = TypeVar("F", bound=Callable[..., Any])
TYPES = click.Choice(["supabase", "firebase", "auth0", "clerk", "oidc", "jwt"])
COLUMNS = [
    ("ID", field("id")),
    ("NAME", field("name")),
    ("TYPE", field("type")),
    ("ACL SET", field("acl_set")),
    ("DEFAULT TTL", field("default_ttl")),
    ("MAX TTL", field("max_ttl")),
]
SETTINGS = ["issuer", "issuers", "audience", "jwks_url", "project_id", "project_url", "domain", "secret",
            "public_key", "user_claim", "required_claims", "acl_set", "default_ttl", "max_ttl"]


def setting_options(function: F) -> F:
    """The provider settings as options, named as in the API."""
    options = [
        click.option("--issuer", help="oidc, jwt: the tokens' iss."),
        click.option("--issuers", "issuer_list", multiple=True, help="clerk: an accepted issuer (repeatable)."),
        click.option("--audience", help="auth0 (required), oidc, jwt, clerk, supabase: the tokens' aud."),
        click.option("--jwks-url", help="oidc: where the signing keys are published."),
        click.option("--project-id", help="firebase: the project id."),
        click.option("--project-url", help="supabase: https://<ref>.supabase.co."),
        click.option("--domain", help="auth0: tenant.eu.auth0.com."),
        click.option("--secret", help="supabase JWT secret or jwt HS256 secret (never shown again)."),
        click.option("--public-key", metavar="PEM|@FILE", help="jwt: PEM public key, inline or @file."),
        click.option("--user-claim", help="The claim naming the user (default sub)."),
        click.option("--required-claim", "required_claims", multiple=True, help="A claim tokens must carry (repeatable)."),
        click.option("--acl-set", help="Rule set temporary users get."),
        click.option("--default-ttl", type=click.IntRange(1, 86400), help="Seconds (default 3600)."),
        click.option("--max-ttl", type=click.IntRange(1, 86400), help="Seconds (default 86400)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def settings_of(values: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for name in SETTINGS:
        value = values.get("issuer_list" if name == "issuers" else name)
        if value is None or (isinstance(value, tuple) and not value):
            continue
        if name == "public_key" and isinstance(value, str) and value.startswith("@"):
            try:
                with open(value[1:]) as handle:
                    value = handle.read()
            except OSError as error:
                raise click.BadParameter(f"cannot read {value[1:]}: {error.strerror}", param_hint="--public-key")
        settings[name] = list(value) if isinstance(value, tuple) else value
    return settings


def show(provider: Any, as_json: bool) -> None:
    if as_json:
        print_json(provider)
    else:
        print_record(provider, ["id", "name", "type", *[s for s in SETTINGS if s != "secret"], "has_secret", "created_at"])


@click.group()
def providers() -> None:
    """Identity providers whose tokens 'cloudsignal tokens exchange' (and the SDKs) accept.

    \b
    Examples:
      cloudsignal providers create --name auth --type oidc --issuer https://id.example.com \\
          --audience cloudsignal --jwks-url https://id.example.com/.well-known/jwks.json --acl-set browsers
      cloudsignal providers list
    """


@providers.command("list")
@list_options
def list_providers(limit: Optional[int], cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """List auth providers (secrets are never shown).

    \b
    Example:
      cloudsignal providers list
    """
    page = state().api().auth_providers.list(limit=limit, cursor=cursor)
    print_list(page, COLUMNS, as_json, fetch_all, "No auth providers.")


@providers.command("get")
@click.argument("id_or_name")
@json_option
def get_provider(id_or_name: str, as_json: bool) -> None:
    """Show an auth provider.

    \b
    Example:
      cloudsignal providers get auth
    """
    show(state().api().auth_providers.get(id_or_name), as_json)


@providers.command("create", context_settings={"ignore_unknown_options": False})
@click.option("--name", required=True, help="Letters, digits, - _ . (1-64).")
@click.option("--type", "provider_type", required=True, type=TYPES)
@setting_options
@if_not_exists_option
@json_option
def create_provider(name: str, provider_type: str, if_not_exists: bool, as_json: bool, **values: Any) -> None:
    """Trust an identity provider's tokens.

    With --if-not-exists, a provider of that name with the same type and settings is success
    (secrets are not compared: they cannot be read back).

    \b
    Examples:
      cloudsignal providers create --name supa --type supabase --project-url https://abc.supabase.co --secret ...
      cloudsignal providers create --name auth --type auth0 --domain tenant.eu.auth0.com --audience api
    """
    api = state().api()
    settings = settings_of(values)
    try:
        provider = api.auth_providers.create(name, type=provider_type, **settings)  # type: ignore[arg-type]
    except ConflictError:
        if not if_not_exists:
            raise
        existing = api.auth_providers.get(name)
        wanted = {"type": provider_type, **{k: v for k, v in settings.items() if k != "secret"}}
        show(same_or_fail(f"Auth provider {name}", existing, wanted, "secrets were not compared"), as_json)
        return
    show(provider, as_json)
    if not as_json:
        note(f"Created auth provider {name}.")


@providers.command("update")
@click.argument("id_or_name")
@click.option("--name", help="Rename the provider.")
@setting_options
@json_option
def update_provider(id_or_name: str, name: Optional[str], as_json: bool, **values: Any) -> None:
    """Change an auth provider's settings.

    \b
    Example:
      cloudsignal providers update auth --default-ttl 600
    """
    changes = settings_of(values)
    if name is not None:
        changes["name"] = name
    if not changes:
        raise click.UsageError("nothing to change: pass one of the setting options (see --help)")
    show(state().api().auth_providers.update(id_or_name, **changes), as_json)


@providers.command("delete")
@click.argument("id_or_name")
@json_option
def delete_provider(id_or_name: str, as_json: bool) -> None:
    """Stop trusting a provider; credentials already issued run until they expire.

    \b
    Example:
      cloudsignal providers delete auth
    """
    state().api().auth_providers.delete(id_or_name)
    done(as_json, f"Deleted auth provider {id_or_name}.", {"deleted": True, "id": id_or_name})


