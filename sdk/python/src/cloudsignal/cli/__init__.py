"""The ``cloudsignal`` command: ``noun verb`` over the REST API, plus ``subscribe`` and ``mcp``.

Exit statuses: 0 ok, 1 failure (the API's message on stderr), 2 usage, 4 not authenticated.
``--json`` is accepted at every level (``cloudsignal --json users list``, ``cloudsignal users
--json list``, ``cloudsignal users list --json``); with it, an error is one JSON object on stderr:
``{"error", "message", "detail", "request_id", "status"}``, and the exit statuses stay the same.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

import click

from cloudsignal._version import __version__
from cloudsignal.cli._context import Environment, ExitStatus, NotAuthenticated, State
from cloudsignal.errors import APIConnectionError, APIError, APITimeoutError, AuthenticationError

# 401 codes that mean "your API key": anything else (a bad identity token, expired temporary
# credentials) is an ordinary failure.
KEY_ERRORS = {"missing_api_key", "invalid_api_key", "api_key_revoked", "api_key_expired", "unauthorized"}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--api-key", metavar="KEY", help="API key (default: $CLOUDSIGNAL_API_KEY, else the stored login).")
@click.option("--api-url", metavar="URL",
              help="API URL (default: $CLOUDSIGNAL_API_URL, else the stored login, else http://127.0.0.1:8080).")
@click.option("--json", "as_json", is_flag=True, help="JSON output for every command; errors as one JSON object.")
@click.version_option(__version__, prog_name="cloudsignal")
@click.pass_context
def cli(ctx: click.Context, api_key: Optional[str], api_url: Optional[str], as_json: bool) -> None:
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
    current = ctx.find_object(State) or State(Environment())
    current.api_key, current.api_url = api_key, api_url
    current.as_json = current.as_json or as_json
    ctx.obj = current


def _register() -> None:
    from cloudsignal.cli import (
        acl, audit, auth, events, keys, mcp_command, messaging, org, policy, providers, sessions, tokens, users, utilities)

    for command in (policy.pull, policy.validate, policy.push):
        acl.acl.add_command(command)
    for command in (auth.auth, users.users, acl.acl, keys.keys, sessions.sessions, org.org,
                    providers.providers, tokens.tokens, messaging.publish, messaging.subscribe, messaging.request,
                    events.events, audit.audit, mcp_command.mcp, utilities.presence, utilities.retained):
        cli.add_command(command)
    _accept_json_everywhere(cli)


def _remember_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """``--json`` on a group or command: remembered for every command below it."""
    current = ctx.find_object(State)
    if value and current is not None:
        current.as_json = True
    return bool(value or (current is not None and current.as_json))


def _accept_json_everywhere(command: click.Command) -> None:
    """Give every group and command a ``--json`` flag that also takes a ``--json`` given higher up."""
    named = next((p for p in command.params if isinstance(p, click.Option) and "--json" in p.opts), None)
    if named is None:
        command.params.append(click.Option(["--json"], is_flag=True, expose_value=False, callback=_remember_json,
                                           help="JSON output; errors as one JSON object."))
    elif command is not cli:
        named.callback = _remember_json
    for sub in getattr(command, "commands", {}).values():
        _accept_json_everywhere(sub)


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


def error_object(error: BaseException) -> dict[str, Any]:
    """An error as one JSON object: the API's error body, or the same shape for the CLI's own."""
    if isinstance(error, APIError):
        code = error.code or ("api_timeout" if isinstance(error, APITimeoutError)
                              else "api_connection_error" if isinstance(error, APIConnectionError) else "api_error")
        return {"error": code, "message": error.message, "detail": error.detail, "request_id": error.request_id,
                "status": error.status}
    if isinstance(error, click.UsageError):
        param = getattr(error, "param", None)
        detail = {"param": param.opts[0] if isinstance(param, click.Option) else getattr(param, "name", None)}
        return {"error": "usage_error", "message": error.format_message(),
                "detail": detail if param is not None else None, "request_id": None, "status": None}
    if isinstance(error, NotAuthenticated):
        return {"error": "not_authenticated", "message": error.format_message(), "detail": None,
                "request_id": None, "status": None}
    if isinstance(error, click.ClickException):  # Failure and the like carry their own code and detail
        return {"error": getattr(error, "code", None) or "failed", "message": error.format_message(),
                "detail": getattr(error, "detail", None), "request_id": None, "status": None}
    return {"error": type(error).__name__.lower(), "message": str(error) or type(error).__name__, "detail": None,
            "request_id": None, "status": None}


def _json_requested(args: Sequence[str], state: State) -> bool:
    options = list(args)[: list(args).index("--")] if "--" in args else list(args)
    return state.as_json or "--json" in options


def run(args: Optional[Sequence[str]] = None, env: Optional[Environment] = None) -> int:
    """Run the CLI; returns the exit status instead of exiting."""
    import sys

    env = env or Environment()
    argv = list(args) if args is not None else sys.argv[1:]
    state = State(env)

    def report(error: BaseException, text: str) -> None:
        if _json_requested(argv, state):
            click.echo(json.dumps(error_object(error), ensure_ascii=False), file=env.stderr)
        else:
            click.echo(text, file=env.stderr)

    try:
        result = cli.main(args=argv, prog_name="cloudsignal", standalone_mode=False, obj=state)
    except click.exceptions.Abort as error:
        report(error, "Aborted.")
        return ExitStatus.ERROR
    except click.ClickException as error:
        if _json_requested(argv, state):
            report(error, "")
        else:
            error.show(file=env.stderr)
        return error.exit_code
    except APIError as error:
        report(error, describe(error))
        return error_status(error)
    except KeyboardInterrupt as error:  # 'subscribe' ends on Ctrl-C by design and exits 0 itself
        report(error, "Interrupted.")
        return ExitStatus.ERROR
    return result if isinstance(result, int) else ExitStatus.OK


def main() -> None:
    """Console script entry point."""
    raise SystemExit(run())
