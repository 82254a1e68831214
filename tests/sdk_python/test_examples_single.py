"""The documented CLI and Python examples (../shared/EXAMPLES.md), typed as written, against a
single-tenancy deployment: topics carry no organization prefix on the broker either."""

import json
import threading

import pytest

from tests.broker.conftest import start_stack
from tests.conftest import eventually
from tests.sdk_python.conftest import Cli, clean_environment
from tests.sdk_python.test_mqtt_client import DOCUMENTED_EXAMPLE, until
from tests.support.mqtt import MqttTestClient

# ../shared/EXAMPLES.md, "CLI (`cloudsignal`)", as documented.
DOCUMENTED_CLI = '''\
cloudsignal auth login
cloudsignal users list
cloudsignal users create --username agent-01 --password secure-pw
cloudsignal acl list
cloudsignal acl create --topic "agents/{username}/#" --action publish --permission allow
cloudsignal publish --topic "test/hello" --message "Hello from CLI"
cloudsignal sessions list
'''
DEPLOY_SCRIPT_LINE = ('cloudsignal users create --username "service-${DEPLOY_ENV}" --password "${MQTT_PASSWORD}" '
                      '--acl-set "backend-services"')


@pytest.fixture(scope="module")
def single(postgres, tmp_path_factory):
    stack = start_stack(postgres, "single", tmp_path_factory.mktemp("sdk-single-logs"), database="sdk_python_single")
    init = stack.service.admin("init", "--json")
    assert init.returncode == 0, init.stderr
    yield stack, json.loads(init.stdout)
    stack.service.stop()
    stack.broker.remove()


def test_the_documented_cli_session(single, tmp_path):
    stack, first = single
    config_home = tmp_path / "config"
    # `auth login` stores the key it is given; here CLOUDSIGNAL_API_KEY/_URL give it, since no
    # one types at a terminal. Every later line runs on the stored login alone.
    login = Cli(clean_environment(XDG_CONFIG_HOME=str(config_home), CLOUDSIGNAL_API_KEY=first["key"],
                                  CLOUDSIGNAL_API_URL=stack.service.url), config_home)
    logged_in = Cli(clean_environment(XDG_CONFIG_HOME=str(config_home)), config_home)
    lines = DOCUMENTED_CLI.splitlines()
    results = {}
    listener = None
    try:
        for line in lines:
            runner = login if line == "cloudsignal auth login" else logged_in
            if line.startswith("cloudsignal publish"):
                listener = make_listener(stack, first)
            results[line] = runner.shell(line)
            assert results[line].returncode == 0, f"{line}\n{results[line].stderr}"
        # single tenancy: the message is on `test/hello` itself, no prefix
        assert listener.receive() == ("test/hello", b"Hello from CLI")
        sessions = lines[-1]
        assert eventually(lambda: "listener" in logged_in.shell(sessions).stdout, 5)
    finally:
        if listener:
            listener.close()

    assert json.loads(logged_in.config_path.read_text())["api_url"] == stack.service.url
    assert "No users yet" in results["cloudsignal users list"].stderr
    assert f"agent-01@{first['org_id']}" in results[lines[2]].stdout
    assert "agents/{username}/#" in results[lines[4]].stdout
    assert "Published to test/hello" in results[lines[5]].stderr


def make_listener(stack, first):
    """A user allowed to read test/# and a raw client subscribed there, arranged over plain HTTP."""
    from tests.broker.conftest import allow, make_user
    from tests.conftest import Client

    api = Client(stack.service.url, first["key"])
    if api.get("/v2/users/listener").status_code == 404:
        make_user(api, "listener")
        allow(api, "test/#", action="subscribe", user="listener")
    client = MqttTestClient(stack.broker.port, f"listener@{first['org_id']}", "secure-password")
    assert client.accepted and client.subscribed("test/#")
    return client


def test_the_documented_deployment_script_line(single, tmp_path):
    stack, first = single
    cli = Cli(clean_environment(XDG_CONFIG_HOME=str(tmp_path / "empty"), CLOUDSIGNAL_API_KEY=first["key"],
                                CLOUDSIGNAL_API_URL=stack.service.url, DEPLOY_ENV="staging",
                                MQTT_PASSWORD="a-long-mqtt-password"), tmp_path / "empty")
    missing_set = cli.shell(DEPLOY_SCRIPT_LINE)
    assert missing_set.returncode == 1 and "backend-services" in missing_set.stderr
    assert cli("acl", "sets", "create", "--name", "backend-services", "--rule", "allow:both:services/#").returncode == 0

    created = cli.shell(DEPLOY_SCRIPT_LINE + " --json")
    assert created.returncode == 0, created.stderr
    user = json.loads(created.stdout)
    assert user["mqtt_username"] == f"service-staging@{first['org_id']}" and user["acl_set"] == "backend-services"
    assert not cli.config_path.exists(), "CI needs no login"
    client = MqttTestClient(stack.broker.port, user["mqtt_username"], "a-long-mqtt-password")
    assert client.accepted
    client.close()


def test_the_documented_python_example_in_single_tenancy(single, monkeypatch):
    stack, first = single
    from tests.broker.conftest import allow, make_user
    from tests.conftest import Client

    monkeypatch.delenv("CLOUDSIGNAL_TENANCY", raising=False)  # single is the default
    api = Client(stack.service.url, first["key"])
    allow(api, "agents/#", user="agent-0*")
    make_user(api, "agent-02")
    if api.get("/v2/users/agent-01").status_code == 404:
        make_user(api, "agent-01", "your-password")
    else:
        assert api.patch("/v2/users/agent-01", json={"password": "your-password"}).status_code == 200
    raw = MqttTestClient(stack.broker.port, f"agent-02@{first['org_id']}", "secure-password")
    assert raw.subscribed("agents/+/state")

    source = (DOCUMENTED_EXAMPLE.replace("org_k7xm4pqr2n5t", first["org_id"])
              .replace('password="your-password")', f'password="your-password", port={stack.broker.port})'))
    setup = source.partition("client.connect()")[0]
    printed = []
    namespace = {"print": printed.append}
    exec(compile(setup, "EXAMPLES.md", "exec"), namespace)
    client = namespace["client"]
    thread = threading.Thread(target=client.connect, daemon=True)
    thread.start()
    try:
        topic, payload = raw.receive()
        assert topic == "agents/agent-01/state" and json.loads(payload) == {"status": "idle", "load": 0.12}
        raw.publish("agents/agent-02/state", b'{"status": "busy"}')
        assert until(lambda: "agents/agent-02/state: {'status': 'busy'}" in printed)
    finally:
        client.stop()
        thread.join(5)
        raw.close()
    assert not thread.is_alive()
