"""The JavaScript/TypeScript SDK (sdk/js, `@cloudsignal/sdk`) against the real stack.

Each test prepares what a user would have (an organization, its secret key, MQTT users, rules)
through the REST API, then runs JS test files with `node --test` against PostgreSQL, the service
and Mosquitto with the plugin, passing addresses and keys in CS_* variables. The Python side takes
part where the Acceptance asks for it: a paho client exchanges messages with the JS client, and a
controller stops and starts the broker when a JS test asks (files in CS_CONTROL_DIR).

Needs Node.js 20+, `npm ci` in sdk/js, and Debian's chromium for the browser test.
"""

import json
import os
import shutil
import subprocess
import tarfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest

from tests.broker.conftest import Stack, allow, make_user
from tests.conftest import Client
from tests.support.mqtt import MqttTestClient
from tests.support.processes import ROOT, Broker, PostgresCluster, Service

SDK = ROOT / "sdk" / "js"
CHROMIUM = "/usr/bin/chromium"


def npm(*args: str, cwd: Path = SDK, timeout: float = 300) -> str:
    result = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"npm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built() -> None:
    """The SDK built (dist/) and its tests compiled (build/test/), from the current sources."""
    if shutil.which("node") is None or not (SDK / "node_modules").is_dir():
        pytest.fail("the JS SDK needs Node.js 20+ and its packages: apt-get install nodejs npm; cd sdk/js && npm ci")
    npm("run", "build")
    npm("run", "build:test")


class Controller:
    """Carries out what a JS test asks through files in a directory: `<id>.request` holds a command;
    the answer is `<id>.done` or `<id>.failed` (with the error)."""

    def __init__(self, directory: Path, actions: Dict[str, Callable[[], None]]):
        self.directory, self.actions = directory, actions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Controller":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            for request in sorted(self.directory.glob("*.request")):
                command = request.read_text().strip()
                request.unlink()
                try:
                    self.actions[command]()
                    (self.directory / f"{request.stem}.done").write_text("")
                except Exception as error:  # reported to the JS test, which fails with it
                    (self.directory / f"{request.stem}.failed").write_text(f"{type(error).__name__}: {error}")
            time.sleep(0.05)


def run_node(files: List[str], env: Dict[str, str], tmp_path: Path, timeout: float = 120,
             actions: Optional[Dict[str, Callable[[], None]]] = None) -> str:
    """Run compiled JS test files with `node --test`; fail with their output unless all pass."""
    control = tmp_path / "control"
    control.mkdir(exist_ok=True)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir(exist_ok=True)
    full_env = {**os.environ, **env, "CS_CONTROL_DIR": str(control), "CS_ARTIFACTS_DIR": str(artifacts)}
    command = ["node", "--test", "--test-reporter=spec", "--test-concurrency=1",
               *[str(SDK / "build" / "test" / name) for name in files]]
    with Controller(control, actions or {}):
        result = subprocess.run(command, cwd=SDK, env=full_env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    print(output)  # shown with -s or -rP
    assert result.returncode == 0, f"node --test {' '.join(files)} failed:\n{output}"
    return output


def start_js_stack(postgres: PostgresCluster, tenancy: str, log_dir: Path, database: str) -> Stack:
    """The stack of tests/broker's start_stack, with the event store's tables created before the
    service boots: its two workers racing to create them on a new database sometimes both fail
    ("already exists"), which made runs flaky."""
    service = Service({"DATABASE_URL": postgres.create_database(database), "CLOUDSIGNAL_TENANCY": tenancy},
                      workers=2, log_dir=log_dir)
    broker = Broker(service.internal_url)
    service.env.update({"CLOUDSIGNAL_BROKER_SECRET": broker.secret, "CLOUDSIGNAL_BROKER_PORT": str(broker.port)})
    tables = service.admin("orgs", "list")
    assert tables.returncode == 0, tables.stderr
    try:
        broker.start()
        service.start()
    except Exception:
        service.stop()
        broker.remove()
        raise
    return Stack(service, broker)


def stack_env(stack: Stack, org: Dict[str, str], tenancy: str) -> Dict[str, str]:
    return {"CS_API_URL": stack.service.url, "CS_SECRET_KEY": org["key"], "CS_ORG_ID": org["org_id"],
            "CS_MQTT_PORT": str(stack.broker.port), "CS_WS_PORT": str(stack.broker.settings.ws_port),
            "CS_TENANCY": tenancy}


def restart_actions(stack: Stack) -> Dict[str, Callable[[], None]]:
    def start() -> None:
        stack.broker.start()

    return {"stop-broker": stack.broker.stop, "start-broker": start}


@pytest.fixture(scope="module")
def single(postgres, tmp_path_factory: pytest.TempPathFactory, built: None) -> Iterator[Dict]:
    """A single-tenancy deployment, as `make run` starts it: its one organization and secret key."""
    stack = start_js_stack(postgres, "single", tmp_path_factory.mktemp("js-single-logs"), "js_single")
    try:
        initialised = stack.service.admin("init", "--json")
        assert initialised.returncode == 0, initialised.stderr
        org = json.loads(initialised.stdout)
        yield {"stack": stack, "org": org, "api": Client(stack.service.url, org["key"]),
               "env": stack_env(stack, org, "single")}
    finally:
        stack.service.stop()
        stack.broker.remove()


@pytest.fixture(scope="module")
def multi(postgres, tmp_path_factory: pytest.TempPathFactory, built: None) -> Iterator[Stack]:
    """A multi-tenancy deployment; each test gets its own organization from it."""
    stack = start_js_stack(postgres, "multi", tmp_path_factory.mktemp("js-multi-logs"), "js_multi")
    yield stack
    stack.service.stop()
    stack.broker.remove()


def new_org(stack: Stack) -> Dict:
    org = stack.new_org("JS SDK")
    return {"org": org, "api": Client(stack.service.url, org["key"]), "env": stack_env(stack, org, "multi")}


class EchoBot:
    """A paho client that answers every message on `listen` with `{"echo": <its JSON>}` on `reply`."""

    def __init__(self, port: int, username: str, password: str, listen: str, reply: str):
        self.received: List[tuple] = []
        self.reply = reply
        self.mqtt = MqttTestClient(port, username, password)
        assert self.mqtt.accepted, self.mqtt.connect_reason
        self.mqtt.client.on_message = self._on_message
        assert self.mqtt.subscribed(listen)

    def _on_message(self, client, userdata, message) -> None:
        self.received.append((message.topic, message.payload))
        answer = {"echo": json.loads(message.payload)}
        client.publish(self.reply, json.dumps(answer, separators=(",", ":")), qos=1)

    def close(self) -> None:
        self.mqtt.close()


# -- the package ---------------------------------------------------------------------------------

def test_types_follow_the_openapi_document(multi: Stack) -> None:
    """src/generated/openapi.ts is what openapi-typescript makes of the running service's document:
    an API change without regenerated types (and adapted src/types.ts, src/api.ts) fails here."""
    result = subprocess.run(["node", "scripts/generate-types.mjs", "--check", f"{multi.service.url}/v2/openapi.json"],
                            cwd=SDK, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_exports_documented_and_identical_in_every_build(built: None, tmp_path: Path) -> None:
    run_node(["Package.exports.test.js"], {}, tmp_path)


CONSUMER_ESM = """\
import { CloudSignalApi, CloudSignalClient, NotFoundError, type QoS, type User } from '@cloudsignal/sdk'

const qos: QoS = 1
const client = new CloudSignalClient({ host: '127.0.0.1', username: 'agent-01@org_x', password: 'p', autoConnect: false })
client.on('authError', (error) => console.log(error.reasonCode))
client.subscribe('agents/+/state', (topic: string, message: { status: string }) => console.log(topic, message.status))
void client.publish('agents/agent-01/state', { status: 'idle' }, { qos })
const api = new CloudSignalApi({ apiKey: 'sk_x' })
const users: Promise<User[]> = api.users.list().toArray()
const id: Promise<string> = api.users.get('agent-01').then((user) => user.mqtt_username)
// @ts-expect-error the port is a number
new CloudSignalClient({ host: 'h', username: 'u@o', password: 'p', port: '1883' })
// @ts-expect-error users.create needs a password
void api.users.create({ username: 'x' })
console.log(typeof CloudSignalClient, typeof NotFoundError, users instanceof Promise, id instanceof Promise)
"""

CONSUMER_CJS = """\
import sdk = require('@cloudsignal/sdk')
const error: sdk.CloudSignalError = new sdk.NotFoundError('gone', { status: 404, code: 'not_found', headers: new Headers() })
const grant: Promise<sdk.SubscriptionGrant> | undefined = undefined
console.log(typeof sdk.CloudSignalApi, error.status, grant)
"""


def test_npm_pack_types_resolve_for_esm_and_commonjs_consumers(built: None, tmp_path: Path) -> None:
    """The packed tarball installed into a fresh project: tsc (NodeNext) checks an ESM and a CommonJS
    consumer against its declarations, and both run."""
    tarball = npm("pack", "--pack-destination", str(tmp_path)).strip().splitlines()[-1]
    with tarfile.open(tmp_path / tarball) as packed:
        names = packed.getnames()
    assert "package/dist/esm/index.d.ts" in names and "package/dist/cjs/index.d.ts" in names
    assert "package/dist/browser/cloudsignal.js" in names and not any("/test/" in name for name in names)
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "package.json").write_text(json.dumps({"name": "consumer", "private": True, "type": "module"}))
    npm("install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", str(tmp_path / tarball),
        cwd=consumer)
    (consumer / "esm.ts").write_text(CONSUMER_ESM)
    (consumer / "cjs.cts").write_text(CONSUMER_CJS)
    tsc = subprocess.run([str(SDK / "node_modules" / ".bin" / "tsc"), "--strict", "--target", "es2022",
                          "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node",
                          "esm.ts", "cjs.cts"], cwd=consumer, capture_output=True, text=True, timeout=120)
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    ran = subprocess.run(["node", "esm.js"], cwd=consumer, capture_output=True, text=True, timeout=30)
    assert ran.stdout.strip() == "function function true true", ran.stdout + ran.stderr
    ran = subprocess.run(["node", "cjs.cjs"], cwd=consumer, capture_output=True, text=True, timeout=30)
    assert ran.stdout.strip() == "function 404 undefined", ran.stdout + ran.stderr


# -- the MQTT client -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def agents(single: Dict) -> Dict:
    """agent-01 of the documented example, and python-01 for the paho side."""
    api = single["api"]
    allow(api, "agents/+/state")
    make_user(api, "agent-01", "your-password")
    make_user(api, "python-01", "python-password")
    return single


def test_documented_example_with_a_python_client(agents: Dict, tmp_path: Path) -> None:
    stack, org = agents["stack"], agents["org"]
    bot = EchoBot(stack.broker.port, f"python-01@{org['org_id']}", "python-password",
                  listen="agents/agent-01/state", reply="agents/python-01/state")
    try:
        run_node(["CloudSignalClient.example.test.js"], agents["env"], tmp_path)
    finally:
        bot.close()
    # What the JS client published reached Python as published: the example's, then the queued test's.
    assert bot.received[0] == ("agents/agent-01/state", b'{"status":"idle","load":0.12}')
    assert json.loads(bot.received[1][1]) == {"status": "busy", "load": 0.5}


def test_client_messaging_and_auth_errors(single: Dict, tmp_path: Path) -> None:
    run_node(["CloudSignalClient.messaging.test.js", "CloudSignalClient.auth.test.js"], single["env"], tmp_path)


def test_client_reconnects_after_a_broker_restart(single: Dict, tmp_path: Path) -> None:
    run_node(["CloudSignalClient.reconnect.test.js"], single["env"], tmp_path, actions=restart_actions(single["stack"]))


def test_multi_tenancy_prefix_and_token_exchange(multi: Stack, tmp_path: Path) -> None:
    tenant = new_org(multi)
    org_id = tenant["org"]["org_id"]
    allow(tenant["api"], "rooms/#")
    make_user(tenant["api"], "js-01", "js-password")
    make_user(tenant["api"], "py-01", "py-password")
    bot = EchoBot(multi.broker.port, f"py-01@{org_id}", "py-password",
                  listen=f"{org_id}/rooms/js", reply=f"{org_id}/rooms/py")
    try:
        run_node(["CloudSignalClient.tenancy.test.js"],
                 {**tenant["env"], "CS_USER": "js-01", "CS_PASSWORD": "js-password"}, tmp_path)
    finally:
        bot.close()
    assert bot.received == [(f"{org_id}/rooms/js", b'{"hello":"python"}')]


def test_request_response_between_python_and_js(single: Dict, tmp_path: Path) -> None:
    """Both SDKs on one wire format: a Python responder answers JS requests (100 concurrent, an
    error, a timeout), then Python requests reach the JS responder (asked by the JS test)."""
    from concurrent.futures import ThreadPoolExecutor

    from cloudsignal import CloudSignalClient, RequestError

    stack, org, api = single["stack"], single["org"], single["api"]
    allow(api, "replies/{client_id}/#", action="subscribe")
    allow(api, "replies/#", action="publish")
    allow(api, "py/#")
    allow(api, "js/#")
    make_user(api, "rpc-py", "rpc-password")
    make_user(api, "rpc-js", "rpc-password")
    python = CloudSignalClient("127.0.0.1", f"rpc-py@{org['org_id']}", "rpc-password", port=stack.broker.port,
                               tenancy="single", preset="server")

    @python.on_request("py/+/get")
    def get(topic, payload):
        if payload.get("fail"):
            raise ValueError("no such item")
        return {"id": payload["id"], "by": "python"}

    def py_requests() -> None:
        assert python.request("js/items/get", {"id": 1}, timeout=5) == {"id": 1, "by": "js", "topic": "js/items/get"}
        with ThreadPoolExecutor(max_workers=100) as pool:
            ids = list(pool.map(lambda n: python.request("js/items/get", {"id": n}, timeout=10)["id"], range(100)))
        assert ids == list(range(100))
        try:
            python.request("js/items/get", {"id": 2, "fail": True}, timeout=5)
        except RequestError as error:
            assert (error.code, error.message) == ("not_found", "not here"), error
        else:
            raise AssertionError("the JS handler's error did not come back")

    python.start()
    try:
        assert python.wait_until_connected(5)
        run_node(["CloudSignalClient.requests.test.js"], {**single["env"], "CS_USER": "rpc-js", "CS_PASSWORD": "rpc-password"},
                 tmp_path, actions={"py-requests": py_requests})
    finally:
        python.stop()


# -- the REST client -----------------------------------------------------------------------------

@pytest.mark.parametrize("test_file", [
    "CloudSignalApi.users.test.js", "CloudSignalApi.keys.test.js", "CloudSignalApi.sessions.test.js",
    "CloudSignalApi.publish.test.js", "CloudSignalApi.acl.test.js", "CloudSignalApi.organization.test.js",
])
def test_rest_client(multi: Stack, test_file: str, tmp_path: Path) -> None:
    """Each file against an organization of its own."""
    run_node([test_file], new_org(multi)["env"], tmp_path)


def test_rest_client_errors_and_retries(multi: Stack, tmp_path: Path) -> None:
    tenant = new_org(multi)
    quota = multi.service.admin("orgs", "quotas", "--org", tenant["org"]["org_id"], "--set", "rate_limit_per_minute=5")
    assert quota.returncode == 0, quota.stderr
    run_node(["CloudSignalApi.errors.test.js"], tenant["env"], tmp_path)


# -- the browser build ---------------------------------------------------------------------------

def test_browser_build_in_headless_chromium(multi: Stack, tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "the browser test needs Debian's chromium: apt-get install chromium"
    run_node(["Browser.websocket.test.js"], new_org(multi)["env"], tmp_path, timeout=90)
    screenshot = tmp_path / "artifacts" / "browser.png"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (SDK / "test-artifacts" / "browser.png").read_bytes() == screenshot.read_bytes()
