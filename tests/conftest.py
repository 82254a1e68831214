"""Session-wide real processes: one PostgreSQL cluster and one multi-tenant service on it.

Each test that needs an organization gets a fresh one, so tests share the service without
seeing each other's data.
"""

import json
import time
import uuid
from typing import Any, Callable, Dict, Iterator

import pytest
import requests

from tests.support.processes import PostgresCluster, Service


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(postgres: PostgresCluster) -> str:
    """A fresh, empty database."""
    return postgres.create_database("t_" + uuid.uuid4().hex[:12])


@pytest.fixture(scope="session")
def service(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = postgres.create_database("api")
    running = Service(
        {"DATABASE_URL": url, "CLOUDSIGNAL_TENANCY": "multi"}, workers=2,
        log_dir=tmp_path_factory.mktemp("logs"),
    ).start()
    yield running
    running.stop()


class Client:
    """A requests session bound to the service and one API key."""

    def __init__(self, base_url: str, key: str):
        self.base_url = base_url
        self.key = key
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def create_org(service: Service, name: str = "Test org") -> Dict[str, str]:
    result = service.admin("orgs", "create", "--name", name, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def org(service: Service) -> Dict[str, str]:
    """A new organization: `org_id`, `key` (secret), `key_id`."""
    return create_org(service)


@pytest.fixture
def api(service: Service, org: Dict[str, str]) -> Client:
    """A client holding the new organization's secret key."""
    return Client(service.url, org["key"])


def eventually(probe: Callable[[], Any], timeout: float = 1.0) -> Any:
    """Call `probe` until it returns something truthy or `timeout` passes; return the last result.

    For reads through another service process, whose read model follows the log within a second.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)
