"""Stock mosquitto-go-auth against the real service, without the go-auth binary.

go-auth's HTTP backend (backends/http.go in github.com/iegomez/mosquitto-go-auth) builds its URL
as `"http://" + auth_opt_http_host + ":" + auth_opt_http_port + uri`, POSTs a JSON body made by
`json.Marshal` of a map (keys sorted, compact) with `Content-Type: application/json` and
`User-Agent: mosquitto-<version>`, and reads the status (`status` mode) or `{ok, error}` (`json`
mode). On a transport error it logs `http request error: <err>` and then `<err>` again, in logrus's
text format, where `<err>` is Go's url.Error: `Post "<url>": <cause>`. Go prints the URL's
userinfo password as `***` there, and nothing else: a secret in the query string is logged as is.

These tests read broker-config/go-auth.conf as shipped, put this stack's secret in, and check
that the configuration authenticates to the service and that its error line does not carry the
secret. `tests/broker/go_auth_client.go` (built with `go` when present) sends the requests with
net/http exactly as go-auth does; without Go, a Python reproduction of the same format is used.
"""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import pytest

from tests.broker.conftest import allow, make_user
from tests.conftest import eventually
from tests.support.processes import ROOT, free_port

CONF = ROOT / "broker-config" / "go-auth.conf"
GO_CLIENT = Path(__file__).with_name("go_auth_client.go")
USER_AGENT = "mosquitto-2.0.11"  # go-auth's default: "mosquitto-" + the Mosquitto it was built for


def internal_url(stack) -> str:
    return getattr(stack.service, "internal_url", stack.service.url)


def conf_options(text: str, secret: str, port: int) -> Dict[str, str]:
    """`auth_opt_*` lines of a go-auth config as go-auth receives them (without the prefix), with
    BROKER_SECRET replaced by this stack's secret and the port pointed at this stack's service."""
    options = {}
    for line in text.splitlines():
        if line.startswith("auth_opt_"):
            key, _, value = line[len("auth_opt_"):].partition(" ")
            options[key] = value.strip().replace("BROKER_SECRET", secret)
    options["http_port"] = str(port)
    return options


def legacy_options(secret: str, port: int) -> Dict[str, str]:
    """The configuration shipped before: the secret in each uri's query string."""
    text = "\n".join([
        "auth_opt_http_host 127.0.0.1",
        "auth_opt_http_params_mode json",
        "auth_opt_http_response_mode status",
        "auth_opt_http_timeout 2",
        "auth_opt_http_getuser_uri /internal/go-auth/user?broker_secret=BROKER_SECRET",
        "auth_opt_http_superuser_uri /internal/go-auth/superuser?broker_secret=BROKER_SECRET",
        "auth_opt_http_aclcheck_uri /internal/go-auth/acl?broker_secret=BROKER_SECRET",
    ])
    return conf_options(text, secret, port)


# -- go-auth's client: Go's net/http when available, else a Python reproduction ---------------


@pytest.fixture(scope="module")
def go_client(tmp_path_factory) -> Optional[Path]:
    """tests/broker/go_auth_client.go built once, or None without a Go toolchain."""
    go = shutil.which("go")
    if go is None:
        return None
    out = tmp_path_factory.mktemp("go-auth-client")
    binary = out / "go-auth-client"
    built = subprocess.run([go, "build", "-o", str(binary), str(GO_CLIENT)], cwd=out, capture_output=True,
                           text=True, env={**os.environ, "GO111MODULE": "off"}, timeout=600)
    assert built.returncode == 0, built.stderr
    return binary


def full_url(options: Dict[str, str], uri_option: str) -> str:
    scheme = "https://" if options.get("http_with_tls") == "true" else "http://"
    port = f":{options['http_port']}" if options.get("http_port") else ""
    return f"{scheme}{options['http_host']}{port}{options[uri_option]}"


def go_marshal(data: Dict[str, Any]) -> bytes:
    """Go's json.Marshal of a map: keys sorted, no spaces, <, > and & escaped."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def redacted(url: str) -> str:
    """Go's net/http stripPassword: the userinfo's password, if any, printed as ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = url.split("//", 1)[1].split("@", 1)[0]
    return url.replace(userinfo + "@", f"{parts.username}:***@", 1)


def logrus_text(level: str, msg: str) -> str:
    def quote(value: str) -> str:
        if re.fullmatch(r"[A-Za-z0-9\-._/@^+]+", value):
            return value
        return json.dumps(value, ensure_ascii=False)  # %q for these characters
    return f'time="2006-01-02T15:04:05Z" level={level} msg={quote(msg)}'


def python_go_auth(options: Dict[str, str], uri_option: str, data: Dict[str, Any]) -> Dict[str, Any]:
    """What go-auth sends and logs, reproduced in Python: the same URL, headers (Basic from the
    userinfo, as net/http adds it), body, and on a transport error the same log lines."""
    url = full_url(options, uri_option)
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json", "User-Agent": options.get("http_user_agent", USER_AGENT),
               "Accept-Encoding": "gzip"}
    if parts.username is not None:
        token = base64.b64encode(f"{parts.username}:{parts.password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=int(options.get("http_timeout", 5)))
    try:
        connection.request("POST", path, body=go_marshal(data), headers=headers)
        reply = connection.getresponse()
        return {"url": url, "status": reply.status, "body": reply.read().decode()}
    except OSError:
        error = (f'Post "{redacted(url)}": dial tcp {parts.hostname}:{parts.port}: '
                 "connect: connection refused")
        return {"url": url, "log": [logrus_text("error", f"http request error: {error}"),
                                    logrus_text("error", error)]}
    finally:
        connection.close()


def go_auth(client: Optional[Path], options: Dict[str, str], uri_option: str, data: Dict[str, Any]) -> Dict[str, Any]:
    if client is None:
        return python_go_auth(options, uri_option, data)
    spec = json.dumps({"options": options, "uri_option": uri_option, "data": data})
    done = subprocess.run([str(client)], input=spec, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def closed_port() -> int:
    """A loopback port nothing listens on: the service is down."""
    return free_port()


# -- tests ------------------------------------------------------------------------------------


def test_the_shipped_config_keeps_the_secret_out_of_go_auths_error_log(stack, go_client):
    secret = stack.broker.secret
    assert len(secret) >= 32
    options = conf_options(CONF.read_text(), secret, closed_port())
    for uri_option in ("http_getuser_uri", "http_superuser_uri", "http_aclcheck_uri"):
        logged = go_auth(go_client, options, uri_option, {"username": "u@org_x", "password": "p", "clientid": "c"})
        assert "log" in logged, logged
        text = "\n".join(logged["log"])
        assert "level=error" in text and "connection refused" in text
        assert secret not in text, f"go-auth would log the broker secret:\n{text}"
        assert ":***@127.0.0.1" in text  # the userinfo form is the one in use, and Go masked it


def test_the_query_string_form_leaks_the_secret(stack, go_client):
    """The control: the configuration shipped before writes the secret into the broker's log."""
    secret = stack.broker.secret
    logged = go_auth(go_client, legacy_options(secret, closed_port()), "http_getuser_uri",
                     {"username": "u@org_x", "password": "p", "clientid": "c"})
    line = logged["log"][0]
    assert re.fullmatch(r'time="[^"]+" level=error msg="http request error: Post \\"http://127\.0\.0\.1:\d+'
                        r'/internal/go-auth/user\?broker_secret=[^"\\]+\\": dial tcp [^"]+"', line), line
    assert secret in line


def test_go_auth_requests_as_configured_are_answered(stack, api, org, go_client):
    """The shipped config's requests (Basic auth from the userinfo, go-auth's JSON bodies) get
    the answers go-auth acts on, in status and json response modes."""
    port = urlsplit(internal_url(stack)).port
    options = conf_options(CONF.read_text(), stack.broker.secret, port)
    username = make_user(api, "agent-01")
    allow(api, "agents/{username}/#", action="publish")
    prefix = org["org_id"] + "/"

    def ask(uri_option: str, data: Dict[str, Any], mode: str = "status") -> Dict[str, Any]:
        reply = go_auth(go_client, {**options, "http_response_mode": mode}, uri_option, data)
        assert "status" in reply, reply
        return reply

    user = {"username": username, "password": "secure-password", "clientid": "c1"}
    assert ask("http_getuser_uri", user)["status"] == 200
    assert ask("http_getuser_uri", user)["status"] == 200  # returning: from the verified cache
    assert ask("http_getuser_uri", {**user, "password": "nope"})["status"] == 403
    wrong = ask("http_getuser_uri", {**user, "password": "nope"}, mode="json")
    assert json.loads(wrong["body"]) == {"ok": False, "error": "wrong password"}
    assert json.loads(ask("http_getuser_uri", user, mode="json")["body"]) == {"ok": True}
    assert ask("http_superuser_uri", {"username": username})["status"] == 403
    acl = {"username": username, "clientid": "c1", "topic": prefix + "agents/agent-01/x"}
    assert ask("http_aclcheck_uri", {**acl, "acc": 2})["status"] == 200
    assert ask("http_aclcheck_uri", {**acl, "acc": 1})["status"] == 403
    assert ask("http_aclcheck_uri", {**acl, "acc": 4})["status"] == 403
    # the service's own user, as go-auth asks for it: CONNECT with the broker secret
    internal = {"username": "cloudsignal-internal", "password": stack.broker.secret, "clientid": "svc"}
    assert ask("http_getuser_uri", internal)["status"] == 200
    assert ask("http_aclcheck_uri", {"username": "cloudsignal-internal", "clientid": "svc",
                                     "topic": "$CONTROL/cloudsignal/v1/x", "acc": 2})["status"] == 200
    # a wrong secret in the userinfo is refused
    wrong_secret = {**options, "http_host": "go-auth:wrong@127.0.0.1"}
    assert go_auth(go_client, wrong_secret, "http_getuser_uri", user)["status"] == 401


def test_credential_changes_reach_the_verified_cache(stack, api, go_client):
    """A returning user's check skips Argon2, but a password change, a disable or a deletion is
    enforced on the next check (each gunicorn worker follows the log within a fraction of a second)."""
    port = urlsplit(internal_url(stack)).port
    options = conf_options(CONF.read_text(), stack.broker.secret, port)
    username = make_user(api, "agent-02", password="first-password")
    name = "agent-02"

    def status(password: str) -> int:
        return go_auth(go_client, options, "http_getuser_uri",
                       {"username": username, "password": password, "clientid": "c2"})["status"]

    for _ in range(4):  # warm both workers' caches
        assert status("first-password") == 200
    assert api.patch(f"/v2/users/{name}", json={"password": "second-password"}).status_code == 200
    assert eventually(lambda: all(status("first-password") == 403 for _ in range(4)), timeout=3)
    assert status("second-password") == 200
    assert api.patch(f"/v2/users/{name}", json={"disabled": True}).status_code == 200
    assert eventually(lambda: all(status("second-password") == 403 for _ in range(4)), timeout=3)
    assert api.patch(f"/v2/users/{name}", json={"disabled": False}).status_code == 200
    assert eventually(lambda: status("second-password") == 200, timeout=3)
    assert api.delete(f"/v2/users/{name}").status_code == 204
    assert eventually(lambda: all(status("second-password") == 403 for _ in range(4)), timeout=3)


def test_go_auths_wire_request(stack, go_client):
    """What go-auth puts on the wire, captured (Go's net/http when present): the Basic header
    comes from the userinfo, the body is json.Marshal's, and the URL has no secret."""
    secret = stack.broker.secret
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    captured = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            while len(body) < length:
                body += connection.recv(65536)
            captured.append((head.decode(), body))
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    options = conf_options(CONF.read_text(), secret, listener.getsockname()[1])
    reply = go_auth(go_client, options, "http_aclcheck_uri",
                    {"username": "agent-01@org_x", "clientid": "c1", "topic": "a/b", "acc": 2})
    thread.join(10)
    listener.close()
    assert reply["status"] == 200
    head, body = captured[0]
    lines = head.split("\r\n")
    assert lines[0] == "POST /internal/go-auth/acl HTTP/1.1"
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
    assert headers["authorization"] == "Basic " + base64.b64encode(f"go-auth:{secret}".encode()).decode()
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == USER_AGENT
    assert body == b'{"acc":2,"clientid":"c1","topic":"a/b","username":"agent-01@org_x"}'
    assert secret not in lines[0]
