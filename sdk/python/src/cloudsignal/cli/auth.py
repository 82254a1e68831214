"""``cloudsignal auth login|status|logout``: the stored API key and URL."""

from __future__ import annotations

from typing import Any, Optional

import click

from cloudsignal.api import CloudSignal
from cloudsignal.cli._context import NotAuthenticated, load_config, save_config, state
from cloudsignal.cli._output import json_option, note, print_json, print_record
from cloudsignal.errors import AuthenticationError, PermissionDeniedError
from cloudsignal.types import Organization


def mask(key: str) -> str:
    return f"{key[:3]}...{key[-4:]}" if len(key) > 12 else "***"


def verify(api_key: str, api_url: str) -> Optional[Organization]:
    """The key's organization; None when the key is valid but may not read it. Raises
    AuthenticationError (exit 4) for a refused key and APIConnectionError for a wrong URL."""
    try:
        return CloudSignal(api_key=api_key, base_url=api_url, max_retries=1).organization.get()
    except PermissionDeniedError:
        return None


@click.group()
def auth() -> None:
    """Log in with an API key, see who you are, log out.

    The login is stored in $XDG_CONFIG_HOME/cloudsignal/config.json (default ~/.config),
    readable by you only. CLOUDSIGNAL_API_KEY and CLOUDSIGNAL_API_URL override it.

    \b
    Examples:
      cloudsignal auth login
      cloudsignal auth login --api-key sk_... --api-url http://127.0.0.1:8080
      cloudsignal auth status
    """


@auth.command()
@click.option("--api-key", "key_option", metavar="KEY", help="The key (asked for on a terminal when omitted).")
@click.option("--api-url", "url_option", metavar="URL", help="The API's URL (default http://127.0.0.1:8080).")
@json_option
def login(key_option: Optional[str], url_option: Optional[str], as_json: bool) -> None:
    """Verify an API key and store it with the API URL.

    \b
    Examples:
      cloudsignal auth login
      cloudsignal auth login --api-key sk_... --api-url http://127.0.0.1:8080
    """
    current = state()
    env = current.env
    api_key = key_option or current.api_key or env.variables.get("CLOUDSIGNAL_API_KEY")
    api_url = url_option or current.api_url or env.variables.get("CLOUDSIGNAL_API_URL")
    if not api_key or not api_url:
        if not env.stdin_isatty:
            missing = "--api-key" if not api_key else "--api-url"
            raise click.UsageError(f"no terminal to ask on: pass {missing}")
        if not api_url:
            api_url = click.prompt("API URL", default=current.credentials().api_url, err=True)
        if not api_key:
            api_key = click.prompt("API key", hide_input=True, err=True)
    assert api_key and api_url
    api_url = api_url.rstrip("/")
    try:
        organization = verify(api_key, api_url)
    except AuthenticationError as error:
        raise NotAuthenticated(f"the API refused this key: {error.message}") from None
    path = save_config(env, {"api_key": api_key, "api_url": api_url})
    if as_json:
        print_json({"logged_in": True, "api_url": api_url, "config_path": str(path), "organization": organization})
        return
    where = f"{organization['name']} ({organization['id']})" if organization else "an organization"
    note(f"Logged in to {where} at {api_url}; saved to {path}.")


@auth.command()
@json_option
def status(as_json: bool) -> None:
    """Show which key is in force, where it comes from, and its organization.

    Exits 4 when there is no key or the API refuses it.

    \b
    Example:
      cloudsignal auth status
    """
    credentials = state().credentials()
    if not credentials.api_key:
        raise NotAuthenticated("not logged in: run 'cloudsignal auth login' or set CLOUDSIGNAL_API_KEY")
    try:
        organization = verify(credentials.api_key, credentials.api_url)
    except AuthenticationError as error:
        raise NotAuthenticated(f"the API refuses the key from the {credentials.source}: {error.message}") from None
    report: dict[str, Any] = {
        "authenticated": True,
        "api_url": credentials.api_url,
        "key": mask(credentials.api_key),
        "source": credentials.source,
        "organization": organization,
    }
    if as_json:
        print_json(report)
        return
    shown = dict(report, organization=f"{organization['name']} ({organization['id']})" if organization else "-")
    if organization and organization.get("tenancy"):
        shown["tenancy"] = organization["tenancy"]
    print_record(shown)


@auth.command()
@json_option
def logout(as_json: bool) -> None:
    """Forget the stored login.

    \b
    Example:
      cloudsignal auth logout
    """
    env = state().env
    had_login = bool(load_config(env))
    if had_login:
        env.config_path.unlink()
    if as_json:
        print_json({"logged_out": had_login, "config_path": str(env.config_path)})
    else:
        note(f"Logged out; removed {env.config_path}." if had_login else "Not logged in; nothing to remove.")
    if env.variables.get("CLOUDSIGNAL_API_KEY"):
        note("CLOUDSIGNAL_API_KEY is still set and still authenticates commands.")
