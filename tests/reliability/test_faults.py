"""Faults with real processes: the database restarts, a service worker dies mid-burst, the
service restarts under connected clients. Nothing acknowledged may be lost."""

import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient
from tests.support.processes import PostgresCluster, Service


@pytest.fixture
def own_postgres():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def started_service(cluster, tmp_path, workers=2):
    service = Service({"DATABASE_URL": cluster.create_database("faults")}, workers=workers, log_dir=tmp_path)
    init = service.admin("init", "--json")
    assert init.returncode == 0, init.stderr
    service.start()
    return service, Client(service.url, __import__("json").loads(init.stdout)["key"])


def test_database_restart(own_postgres, tmp_path):
    service, api = started_service(own_postgres, tmp_path)
    try:
        assert api.post("/v2/users", json={"username": "before", "password": "secure-password"}).status_code == 201
        own_postgres.pause()
        started = time.monotonic()
        down = api.post("/v2/users", json={"username": "during", "password": "secure-password"})
        print(f"\nwrite with the database down answered {down.status_code} in {time.monotonic() - started:.2f} s")
        assert down.status_code == 503 and down.json()["error"] in ("store_unavailable", "service_unavailable")
        assert time.monotonic() - started < 10
        assert api.get("/v2/users/before").status_code == 200  # reads come from memory
        assert requests.get(f"{service.url}/readyz", timeout=10).status_code == 503
        own_postgres.resume()
        recovered = time.monotonic()
        assert eventually(lambda: api.post("/v2/users", json={"username": "after", "password": "secure-password"})
                          .status_code == 201, timeout=15)
        print(f"writes accepted again {time.monotonic() - recovered:.2f} s after the database came back")
        assert eventually(lambda: requests.get(f"{service.url}/readyz", timeout=10).status_code == 200, timeout=10)
        names = {u["username"] for u in api.get("/v2/users").json()["data"]}
        assert names == {"before", "after"}  # the refused write changed nothing
    finally:
        service.stop()


def worker_pids(master: int) -> list:
    result = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in result.stdout.split()]


def test_sigkill_of_a_worker_during_a_burst_of_writes(own_postgres, tmp_path):
    service, api = started_service(own_postgres, tmp_path)
    outcomes = {}  # username -> HTTP status, or None when no reply came (outcome unknown)
    lock = threading.Lock()

    def writer(prefix: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = api.session.headers["Authorization"]
        for number in range(40):
            name = f"{prefix}-{number}"
            try:
                status = session.post(f"{service.url}/v2/users", json={"username": name, "password": "secure-password"},
                                      timeout=10).status_code
            except requests.RequestException:
                status = None
            with lock:
                outcomes[name] = status

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        victim = worker_pids(service.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join()
        service.stop()
        service.start()
        stored = set()
        cursor = None
        while True:
            page = api.get("/v2/users", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
            stored |= {u["username"] for u in page["data"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        acknowledged = {name for name, status in outcomes.items() if status == 201}
        refused = {name for name, status in outcomes.items() if status is not None and status >= 400}
        unknown = {name for name, status in outcomes.items() if status is None}
        print(f"\n{len(acknowledged)} writes acknowledged, {len(refused)} refused, {len(unknown)} without reply; "
              f"{len(stored)} stored after restart")
        assert acknowledged <= stored
        assert not (refused & stored)
        assert acknowledged
    finally:
        service.stop()


def test_service_restart_under_connected_clients(postgres, tmp_path):
    stack = start_stack(postgres, "multi", tmp_path, database="faults_service_restart")
    try:
        org = stack.new_org()
        api = Client(stack.service.url, org["key"])
        allow(api, "live/#")
        username = make_user(api, "live")
        newcomer = make_user(api, "newcomer")
        topic = org["org_id"] + "/live/x"
        client = MqttTestClient(stack.broker.port, username, "secure-password")
        assert client.accepted and client.subscribed(topic)
        stack.service.stop()
        assert not client.publish(topic, b"while the service is down").is_failure
        assert client.receive() == (topic, b"while the service is down")
        stack.service.start()
        started = time.monotonic()
        assert eventually(lambda: MqttTestClient(stack.broker.port, newcomer, "secure-password").accepted, timeout=10)
        print(f"\nnew CONNECTs accepted {time.monotonic() - started:.2f} s after the service restarted")
        client.close()
    finally:
        stack.service.stop()
        stack.broker.remove()
