"""A stand-in identity provider for tests: RSA keys it generates, a JWKS served over loopback
HTTP, and JWTs signed with PyJWT. Keys can be rotated while the server runs."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class IdentityProvider:
    def __init__(self, issuer: str = "https://id.example.test", audience: str = "cloudsignal"):
        self.issuer, self.audience = issuer, audience
        self.keys: List[Dict[str, Any]] = []
        self.jwks_requests = 0
        self.rotate()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                provider.jwks_requests += 1
                body = json.dumps({"keys": [key["public_jwk"] for key in provider.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rotate(self) -> str:
        """A new signing key becomes the only one published; returns its key id."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = uuid.uuid4().hex[:12]
        public_jwk = {**json.loads(RSAAlgorithm.to_jwk(private.public_key())), "kid": kid, "alg": "RS256", "use": "sig"}
        self.keys = [{"kid": kid, "private": private, "public_jwk": public_jwk}]
        return kid

    def token(self, lifetime: int = 300, key: Any = None, headers: Dict[str, Any] = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": self.audience, "sub": "user-123", "iat": now, "exp": now + lifetime,
                   **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        signing = self.keys[0]
        return jwt.encode(payload, key or signing["private"], algorithm="RS256",
                          headers={"kid": signing["kid"], **(headers or {})})

    def stop(self) -> None:
        self.server.shutdown()
