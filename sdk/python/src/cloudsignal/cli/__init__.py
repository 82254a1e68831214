"""The ``cloudsignal`` command: ``noun verb`` over the REST API, plus ``subscribe``.

Exit statuses: 0 ok, 1 failure (the API's message on stderr), 2 usage, 4 not authenticated.
"""

from __future__ import annotations

from typing import Optional, Sequence

import click

from cloudsignal._version import __version__
from cloudsignal.cli._context import Environment, ExitStatus, State
from cloudsignal.errors import APIError, AuthenticationError

# 401 codes that mean "your API key": anything else (a bad identity token, expired temporary
# credentials) is an ordinary failure.
KEY_ERRORS = {"missing_api_key", "invalid_api_key", "api_key_revoked", "api_key_expired", "unauthorized"}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--api-key", metavar="KEY", help="API key (default: $CLOUDSIGNAL_API_KEY, else the stored login).")
@click.option("--api-url", metavar="URL",
              help="API URL (default: $CLOUDSIGNAL_API_URL, else the stored login, else http://127.0.0.1:8080).")
@click.version_option(__version__, prog_name="cloudsignal")
@click.pass_context
def cli(ctx: click.Context, api_key: Optional[str], api_url: Optional[str]) -> None:
    """Manage a CloudSignal deployment: MQTT users, ACL rules, keys, sessions, messages, history.

    Authenticate once with 'cloudsignal auth login', or set CLOUDSIGNAL_API_KEY (and
    CLOUDSIGNAL_API_URL) in CI. Every command takes --json to print the API's JSON.

    \b
    Examples:
      cloudsignal auth login
      cloudsignal users create --username agent-01 --password secure-pw
      cloudsignal acl create --topic "agents/{username}/#" --action publish --permission allow
      cloudsignal publish --topic "test/hello" --message "Hello from CLI"
      cloudsignal subscribe --topic "test/#"
      cloudsignal events tail --type MqttUser
    """
    existing = ctx.find_object(State)
    env = existing.env if existing else Environment()
    ctx.obj = State(env, api_key=api_key, api_url=api_url)


def _register() -> None:
    from cloudsignal.cli import acl, audit, auth, events, keys, messaging, org, providers, sessions, tokens, users

    for command in (auth.auth, users.users, acl.acl, keys.keys, sessions.sessions, org.org,
                    providers.providers, tokens.tokens, messaging.publish, messaging.subscribe,
                    events.events, audit.audit):
        cli.add_command(command)


_register()


def error_status(error: APIError) -> int:
    if isinstance(error, AuthenticationError) and (error.code in KEY_ERRORS or error.code is None):
        return ExitStatus.NOT_AUTHENTICATED
    return ExitStatus.ERROR


def describe(error: APIError) -> str:
    """The API's message, its field errors, and what to quote when asking for help."""
    lines = [f"Error: {error}"]
    if isinstance(error.detail, dict):
        for name, problem in error.detail.items():
            text = "; ".join(map(str, problem)) if isinstance(problem, list) else str(problem)
            lines.append(f"  {name}: {text}")
    if error_status(error) == ExitStatus.NOT_AUTHENTICATED:
        lines.append("Run 'cloudsignal auth login' or set CLOUDSIGNAL_API_KEY.")
    return "\n".join(lines)


def run(args: Optional[Sequence[str]] = None, env: Optional[Environment] = None) -> int:
    """Run the CLI; returns the exit status instead of exiting."""
    env = env or Environment()
    try:
        result = cli.main(args=list(args) if args is not None else None, prog_name="cloudsignal",
                          standalone_mode=False, obj=State(env))
    except click.exceptions.Abort:
        click.echo("Aborted.", file=env.stderr)
        return ExitStatus.ERROR
    except click.ClickException as error:
        error.show(file=env.stderr)
        return error.exit_code
    except APIError as error:
        click.echo(describe(error), file=env.stderr)
        return error_status(error)
    except KeyboardInterrupt:  # 'subscribe' ends on Ctrl-C by design and exits 0 itself
        click.echo("Interrupted.", file=env.stderr)
        return ExitStatus.ERROR
    return result if isinstance(result, int) else ExitStatus.OK


def main() -> None:
    """Console script entry point."""
    raise SystemExit(run())
