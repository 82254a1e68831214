"""The whole system for broker tests: PostgreSQL, the service (multi tenancy) and Mosquitto with
the plugin, started once per session. Each test gets its own organization."""

import json
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.conftest import Client, create_org
from tests.support.processes import ROOT, Broker, PostgresCluster, Service


@pytest.fixture(scope="session")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess

    directory = Path(__import__("tempfile").mkdtemp(prefix="cloudsignal-tls-"))
    directory.chmod(0o755)
    subprocess.run([str(ROOT / "broker-config" / "make-tls.sh"), str(directory)], check=True,
                   stdout=subprocess.DEVNULL)
    return directory


class Stack:
    def __init__(self, service: Service, broker: Broker):
        self.service, self.broker = service, broker

    def new_org(self, name: str = "Org") -> Dict[str, str]:
        return create_org(self.service, name)


def start_stack(postgres: PostgresCluster, tenancy: str, log_dir: Path, tls_dir: Path = None,
                database: str = "") -> Stack:
    service = Service({"DATABASE_URL": postgres.create_database(database or f"broker_{tenancy}"),
                       "CLOUDSIGNAL_TENANCY": tenancy, "CLOUDSIGNAL_JWKS_REFETCH_COOLDOWN": "1",
                       # the tests' identity provider serves its JWKS over plain http on loopback
                       "CLOUDSIGNAL_PROVIDER_ALLOW_INSECURE": "1"},
                      workers=2, log_dir=log_dir)
    broker = Broker(service.internal_url, tls_dir=tls_dir)
    service.env.update({"CLOUDSIGNAL_BROKER_SECRET": broker.secret,
                        "CLOUDSIGNAL_BROKER_PORT": str(broker.port)})
    broker.start()
    service.start()
    return Stack(service, broker)


@pytest.fixture(scope="session")
def stack(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory, tls_dir: Path) -> Iterator[Stack]:
    running = start_stack(postgres, "multi", tmp_path_factory.mktemp("broker-logs"), tls_dir)
    yield running
    running.service.stop()
    running.broker.remove()


@pytest.fixture
def org(stack: Stack) -> Dict[str, str]:
    return stack.new_org()


@pytest.fixture
def api(stack: Stack, org: Dict[str, str]) -> Client:
    return Client(stack.service.url, org["key"])


def make_user(api: Client, name: str, password: str = "secure-password", **extra) -> str:
    """Create a user through the API; returns its MQTT username."""
    reply = api.post("/v2/users", json={"username": name, "password": password, **extra})
    assert reply.status_code == 201, reply.text
    return reply.json()["mqtt_username"]


def allow(api: Client, topic: str, action: str = "both", **extra) -> str:
    reply = api.post("/v2/acl/rules", json={"topic": topic, "action": action, "permission": "allow", **extra})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
