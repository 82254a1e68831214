"""The production stack behind the edge: PostgreSQL, the service (public, stream and internal
instances, trusting one proxy hop), Mosquitto with the plugin and its MQTTS listener, and Debian's
nginx with deploy/edge's configuration and a local CA's certificate (make-tls.sh)."""

from typing import Dict, Iterator

import pytest

from tests.broker.conftest import tls_dir  # noqa: F401 (the session's local CA and certificate)
from tests.conftest import Client, create_org
from tests.support.processes import Broker, Edge, PostgresCluster, Service


class EdgeStack:
    def __init__(self, service: Service, broker: Broker, edge: Edge):
        self.service, self.broker, self.edge = service, broker, edge

    def new_org(self, name: str = "Org") -> Dict[str, str]:
        return create_org(self.service, name)


@pytest.fixture(scope="session")
def edge_stack(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory,
               tls_dir) -> Iterator[EdgeStack]:  # noqa: F811
    service = Service({"DATABASE_URL": postgres.create_database("edge"), "CLOUDSIGNAL_TENANCY": "multi",
                       "CLOUDSIGNAL_TRUSTED_PROXIES": "1"},
                      workers=1, log_dir=tmp_path_factory.mktemp("edge-logs"), streams=True)
    broker = Broker(service.internal_url, tls_dir=tls_dir)
    service.env.update({"CLOUDSIGNAL_BROKER_SECRET": broker.secret, "CLOUDSIGNAL_BROKER_PORT": str(broker.port)})
    broker.start()
    service.start()
    edge = Edge(service, broker, tls_dir=tls_dir).start()
    yield EdgeStack(service, broker, edge)
    edge.stop()
    service.stop()
    broker.remove()


@pytest.fixture
def edge_org(edge_stack: EdgeStack) -> Dict[str, str]:
    return edge_stack.new_org()


@pytest.fixture
def edge_api(edge_stack: EdgeStack, edge_org: Dict[str, str]) -> Client:
    return Client(edge_stack.edge.url, edge_org["key"])
