"""The Python SDK and the `cloudsignal` CLI against the real system: PostgreSQL, the service in
multi tenancy (so the SDK's organization prefix is exercised) and Mosquitto with the plugin,
started once for this folder. Each test gets its own organization and config folder."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

from tests.broker.conftest import Stack, start_stack
from tests.conftest import Client
from tests.support.processes import BIN, ROOT, PostgresCluster

CLOUDSIGNAL = BIN / "cloudsignal"


@pytest.fixture(scope="session")
def sdk_stack(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(postgres, "multi", tmp_path_factory.mktemp("sdk-logs"), database="sdk_python_multi")
    yield stack
    stack.service.stop()
    stack.broker.remove()


@pytest.fixture
def org(sdk_stack: Stack) -> Dict[str, str]:
    """A new organization: `org_id`, `key` (secret), `key_id`."""
    return sdk_stack.new_org()


@pytest.fixture
def api(sdk_stack: Stack, org: Dict[str, str]) -> Client:
    """Plain HTTP with the organization's secret key, to arrange and check independently of the SDK."""
    return Client(sdk_stack.service.url, org["key"])


def clean_environment(**extra: str) -> Dict[str, str]:
    """The caller's environment without any CLOUDSIGNAL_ setting, plus `extra`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLOUDSIGNAL_")}
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update(extra)
    return env


class Cli:
    """Runs the installed `cloudsignal` command as a user types it, without a terminal."""

    def __init__(self, env: Dict[str, str], config_home: Path):
        self.env = env
        self.config_home = config_home

    def __call__(self, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 30,
                 **kwargs: Any) -> subprocess.CompletedProcess:
        return subprocess.run([str(CLOUDSIGNAL), *args], env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=ROOT, **kwargs)

    def json(self, *args: str, **kwargs: Any) -> Any:
        """Run with --json; the command must succeed and print JSON only on stdout."""
        result = self(*args, "--json", **kwargs)
        assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
        return json.loads(result.stdout)

    def shell(self, line: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        """A command line exactly as documented, run by bash."""
        return subprocess.run(["bash", "-c", line], env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=ROOT)

    @property
    def config_path(self) -> Path:
        return self.config_home / "cloudsignal" / "config.json"


@pytest.fixture
def cli(sdk_stack: Stack, org: Dict[str, str], tmp_path: Path) -> Cli:
    """The CLI authenticated by CLOUDSIGNAL_API_KEY (as in CI), with its own empty config folder."""
    config_home = tmp_path / "config"
    env = clean_environment(
        XDG_CONFIG_HOME=str(config_home),
        CLOUDSIGNAL_API_URL=sdk_stack.service.url,
        CLOUDSIGNAL_API_KEY=org["key"],
        CLOUDSIGNAL_MQTT_PORT=str(sdk_stack.broker.port),
    )
    return Cli(env, config_home)
