"""Verifying identity providers' tokens (JWTs) for token exchange, with PyJWT.

Each provider type fixes where keys come from and which issuer and audience to expect. JWKS are
fetched over HTTPS (or any URL an `oidc` provider names), cached for ten minutes, and refetched
once when a token names a key id the cache does not hold (key rotation).
"""

import logging
import os
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import jwt

from app import outbound
from events import secret_box

log = logging.getLogger(__name__)

PROVIDER_TYPES = ("supabase", "firebase", "auth0", "clerk", "oidc", "jwt")
FIREBASE_JWKS = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
SYMMETRIC = ["HS256", "HS384", "HS512"]
JWKS_LIFESPAN = 600
# At most one refetch per this many seconds for an unknown key id, so tokens naming random key
# ids cannot make the service hammer the provider.
JWKS_REFETCH_COOLDOWN = float(os.environ.get("CLOUDSIGNAL_JWKS_REFETCH_COOLDOWN", "10"))
LEEWAY = 30  # seconds of clock skew tolerated on exp and nbf

_jwks_clients: Dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


class TokenRejected(Exception):
    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class _CheckedJWKClient(jwt.PyJWKClient):
    """PyJWT's JWKS client fetching through app.outbound: public https addresses only, pinned,
    bounded in time, size and concurrency; the reason of a failure is logged, never returned."""

    def fetch_data(self) -> Any:
        try:
            jwk_set = self._as_jwk_set_payload(outbound.fetch_json(self.uri))
        except outbound.FetchFailed:
            raise jwt.PyJWKClientConnectionError("cannot fetch the provider's keys") from None
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(jwk_set)
        self._last_successful_fetch = time.monotonic()
        return jwk_set


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _jwks_lock:
        if url not in _jwks_clients:
            _jwks_clients[url] = _CheckedJWKClient(url, cache_keys=True, lifespan=JWKS_LIFESPAN, timeout=5,
                                                   cooldown_duration=JWKS_REFETCH_COOLDOWN)
        return _jwks_clients[url]


def fetched_urls(provider_type: str, settings: Dict[str, Any]) -> List[str]:
    """The URLs the service would fetch for this provider (its JWKS), for checks at creation."""
    if provider_type == "auth0" and settings.get("domain"):
        return [f"https://{settings['domain'].rstrip('/')}/.well-known/jwks.json"]
    if provider_type == "clerk":
        return [issuer.rstrip("/") + "/.well-known/jwks.json" for issuer in settings.get("issuers") or ()]
    if provider_type == "oidc" and settings.get("jwks_url"):
        return [settings["jwks_url"]]
    return []


def expectations(provider_type: str, settings: Dict[str, Any], token: str) -> Tuple[Any, List[str], Any, Optional[str]]:
    """(key or JWKS URL, algorithms, issuer(s), audience) for one provider and token."""
    if provider_type == "supabase":
        issuer = settings["project_url"].rstrip("/") + "/auth/v1"
        return settings["secret"], SYMMETRIC, issuer, settings.get("audience") or "authenticated"
    if provider_type == "firebase":
        project = settings["project_id"]
        return FIREBASE_JWKS, ASYMMETRIC, f"https://securetoken.google.com/{project}", project
    if provider_type == "auth0":
        domain = settings["domain"].rstrip("/")
        return f"https://{domain}/.well-known/jwks.json", ASYMMETRIC, f"https://{domain}/", settings["audience"]
    if provider_type == "clerk":
        issuers = settings["issuers"]
        claimed = jwt.decode(token, options={"verify_signature": False}).get("iss")
        if not isinstance(claimed, str) or claimed not in issuers:
            raise TokenRejected("invalid_token", "the token's issuer is not one this provider trusts")
        return claimed.rstrip("/") + "/.well-known/jwks.json", ASYMMETRIC, issuers, settings.get("audience")
    if provider_type == "oidc":
        return settings["jwks_url"], ASYMMETRIC, settings["issuer"], settings.get("audience")
    key = settings.get("secret") or settings["public_key"]
    return key, SYMMETRIC if settings.get("secret") else ASYMMETRIC, settings.get("issuer"), settings.get("audience")


def verify(provider_type: str, settings: Dict[str, Any], token: str) -> Dict[str, Any]:
    """The token's claims once signature, exp, nbf, iss and aud check out; else TokenRejected."""
    try:  # secrets are stored encrypted (events/secret_box.py): opened here, for this check only
        settings = secret_box.unseal_settings(settings)
    except secret_box.SecretUnreadable as error:
        log.error("cannot decrypt an auth provider's secret: %s", error)
        raise TokenRejected("provider_unavailable", "cannot read the provider's settings; retry later", 503) from None
    try:
        header = jwt.get_unverified_header(token)
        key, algorithms, issuer, audience = expectations(provider_type, settings, token)
        if header.get("alg") not in algorithms:
            raise TokenRejected("invalid_token", f"algorithm {header.get('alg')!r} is not accepted for this provider")
        if isinstance(key, str) and key.startswith(("http://", "https://")):
            key = _jwks_client(key).get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token, key, algorithms=algorithms, audience=audience, issuer=issuer, leeway=LEEWAY,
            options={"require": ["exp"], "verify_aud": audience is not None, "verify_iss": issuer is not None},
        )
    except TokenRejected:
        raise
    except jwt.ExpiredSignatureError:
        raise TokenRejected("token_expired", "the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenRejected("invalid_token", "the token is not valid yet (nbf)") from None
    except jwt.PyJWKClientConnectionError:
        raise TokenRejected("provider_unavailable", "cannot fetch the provider's keys; retry later", 503) from None
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise TokenRejected("invalid_token", f"the token is not valid: {error}") from None
    for name in [settings.get("user_claim") or "sub", *settings.get("required_claims", [])]:
        if claims.get(name) in (None, ""):
            raise TokenRejected("missing_claim", f"the token lacks the required claim {name!r}", 400)
    return claims
