"""Issue 13, item 2: auth providers cannot make the service connect to loopback, private or
link-local addresses (server-side request forgery), at creation nor at fetch time, and the errors
the caller sees say nothing about what answered. The service here runs without
CLOUDSIGNAL_PROVIDER_ALLOW_INSECURE; a local listener must see no connection at all."""

import json
import socket
import subprocess
import sys
import threading
import time

import jwt
import pytest

from tests.support.processes import ROOT


class Listener:
    """A TCP listener on loopback that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def stop(self):
        self.stopped = True
        self.sock.close()


@pytest.fixture
def listener():
    running = Listener()
    yield running
    running.stop()


def hostile_bodies(port):
    return [
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": f"http://127.0.0.1:{port}/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": f"https://127.0.0.1:{port}/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": f"https://localhost:{port}/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": f"https://[::1]:{port}/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": f"https://[::ffff:127.0.0.1]:{port}/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": "https://169.254.169.254/latest/meta-data"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": "https://10.1.2.3/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": "https://[fd00::1]/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": "https://224.0.0.1/jwks"},
        {"type": "oidc", "issuer": "https://id.example", "jwks_url": "https://0.0.0.0/jwks"},
        {"type": "clerk", "issuers": [f"http://127.0.0.1:{port}"]},
        {"type": "clerk", "issuers": [f"https://127.0.0.1:{port}"]},
        {"type": "auth0", "domain": f"127.0.0.1:{port}", "audience": "a"},
        {"type": "auth0", "domain": f"localhost:{port}", "audience": "a"},
        {"type": "supabase", "project_url": f"http://127.0.0.1:{port}", "secret": "s" * 32},
    ]


def test_hostile_provider_urls_are_refused_and_never_fetched(api, listener):
    for number, body in enumerate(hostile_bodies(listener.port)):
        reply = api.post("/v2/auth-providers", json={"name": f"p{number}", **body})
        assert reply.status_code == 400, (body, reply.text)
        assert reply.json()["error"] == "validation_error"
    assert api.get("/v2/auth-providers").json()["data"] == []
    safe = api.post("/v2/auth-providers", json={"name": "ok", "type": "jwt", "secret": "s" * 32})
    assert safe.status_code == 201
    for body in hostile_bodies(listener.port)[:2]:
        patched = api.patch("/v2/auth-providers/ok", json={k: v for k, v in body.items() if k != "type"})
        assert patched.status_code in (200, 400)  # a jwt provider ignores jwks_url; nothing is fetched
    time.sleep(0.2)
    assert listener.connections == 0


def test_a_stored_hostile_url_is_not_fetched_and_the_error_is_generic(service, api, org, listener):
    """A provider whose URL became private after the check (DNS rebinding; stored before this
    check existed): the fetch re-checks the resolved address and connects nowhere."""
    script = (
        "import os, sys\n"
        "from app import build_domain\n"
        "build_domain(os.environ).create_auth_provider(sys.argv[1], 'rebound', 'oidc', {\n"
        "    'issuer': 'https://id.example', 'jwks_url': sys.argv[2], 'user_claim': 'sub'})\n"
    )
    for url in (f"http://127.0.0.1:{listener.port}/jwks", f"https://localhost:{listener.port}/jwks"):
        api.delete("/v2/auth-providers/rebound")
        done = subprocess.run([sys.executable, "-c", script, org["org_id"], url], cwd=ROOT, env=service.env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        token = jwt.encode({"sub": "x", "iss": "https://id.example", "exp": int(time.time()) + 60},
                           _rsa_key(), algorithm="RS256", headers={"kid": "k1"})
        reply = api.post("/v2/tokens/exchange", json={"provider": "rebound", "token": token})
        assert reply.status_code == 503, reply.text
        body = reply.json()
        assert body["error"] == "provider_unavailable"
        text = json.dumps(body).lower()
        assert str(listener.port) not in text and "refused" not in text and "127.0.0.1" not in text
    assert listener.connections == 0


def _rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
