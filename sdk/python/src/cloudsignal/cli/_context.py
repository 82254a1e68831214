"""What every command shares: the environment (streams, variables, config folder), the stored
login, exit statuses, and the API client built from them."""

from __future__ import annotations

import enum
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, TextIO

import click

from cloudsignal._http import DEFAULT_API_URL
from cloudsignal.api import CloudSignal


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_AUTHENTICATED = 4


class NotAuthenticated(click.ClickException):
    """No API key, or the API refused it: exit status 4."""

    exit_code = ExitStatus.NOT_AUTHENTICATED


class Failure(click.ClickException):
    """The command could not do its job: exit status 1, with a machine-readable ``code`` and
    ``detail`` for ``--json``."""

    exit_code = ExitStatus.ERROR

    def __init__(self, message: str, code: str = "failed", detail: Any = None) -> None:
        super().__init__(message)
        self.code, self.detail = code, detail


@dataclass
class Environment:
    """The process's surroundings, injected so that tests and embedders can swap them."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    variables: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def stdin_isatty(self) -> bool:
        return _isatty(self.stdin)

    @property
    def stdout_isatty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def colour(self) -> bool:
        """Styles only for a terminal, and never with NO_COLOR set."""
        return self.stdout_isatty and not self.variables.get("NO_COLOR")

    @property
    def config_dir(self) -> Path:
        base = self.variables.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / "cloudsignal"

    @property
    def config_path(self) -> Path:
        return self.config_dir / "config.json"


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def load_config(env: Environment) -> dict[str, Any]:
    """The stored login ({api_key, api_url}); empty when there is none or it is unreadable."""
    try:
        data = json.loads(env.config_path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_config(env: Environment, data: Mapping[str, Any]) -> Path:
    """Write the login readable by its owner only (folder 0700, file 0600)."""
    env.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = env.config_path
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(dict(data), handle, indent=2)
        handle.write("\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path


@dataclass
class Credentials:
    api_key: Optional[str]
    api_url: str
    source: str  # "option", "environment", "config file" or "none"


@dataclass
class State:
    """``ctx.obj``: the environment and the root options."""

    env: Environment
    api_key: Optional[str] = None
    api_url: Optional[str] = None
    as_json: bool = False  # --json given at any level: JSON output, and errors as one JSON object

    def credentials(self) -> Credentials:
        """The key and URL in force: options, then CLOUDSIGNAL_API_KEY/_URL, then the config file."""
        stored = load_config(self.env)
        variables = self.env.variables
        url = self.api_url or variables.get("CLOUDSIGNAL_API_URL") or stored.get("api_url") or DEFAULT_API_URL
        if self.api_key:
            return Credentials(self.api_key, url, "option")
        if variables.get("CLOUDSIGNAL_API_KEY"):
            return Credentials(variables["CLOUDSIGNAL_API_KEY"], url, "environment")
        if stored.get("api_key"):
            return Credentials(str(stored["api_key"]), url, "config file")
        return Credentials(None, url, "none")

    def api(self) -> CloudSignal:
        """A REST client with the key in force; exit 4 when there is none."""
        credentials = self.credentials()
        if not credentials.api_key:
            raise NotAuthenticated(
                "not logged in: run 'cloudsignal auth login' or set CLOUDSIGNAL_API_KEY")
        return CloudSignal(api_key=credentials.api_key, base_url=credentials.api_url)


def state() -> State:
    return click.get_current_context().find_object(State) or State(Environment())
