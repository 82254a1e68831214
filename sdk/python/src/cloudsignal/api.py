"""``CloudSignal``: the typed REST client."""

from __future__ import annotations

import os
from typing import Optional

import requests

from cloudsignal._http import DEFAULT_API_URL, HttpClient
from cloudsignal.resources import (
    Acl,
    ApiKeys,
    Audit,
    AuthProviders,
    Events,
    OrganizationResource,
    Presence,
    Publish,
    Retained,
    Sessions,
    Tokens,
    Users,
)


class CloudSignal:
    """The CloudSignal REST API (``/v2``), one attribute per resource.

    ``api_key`` defaults to ``$CLOUDSIGNAL_API_KEY`` and ``base_url`` to ``$CLOUDSIGNAL_API_URL``,
    else ``http://127.0.0.1:8080``. Failed requests raise :class:`cloudsignal.APIError`
    subclasses; 408, 429 and 5xx replies and connection errors are retried ``max_retries`` times
    with exponential backoff and jitter, waiting as long as ``Retry-After`` asks (a wait longer
    than ``max_retry_wait`` seconds raises at once). 400, 401, 403, 404 and 409 are never retried.

    Example::

        from cloudsignal import CloudSignal

        api = CloudSignal(api_key="sk_...", base_url="http://127.0.0.1:8080")
        api.users.create("agent-01", "secure-password")
        api.acl.rules.create("agents/{username}/#", action="both", permission="allow")
        api.publish("agents/agent-01/inbox", {"task": "summarize-thread"}, qos=1)
        for session in api.sessions.list():
            print(session["client_id"])
        for event in api.events.list(type="MqttUser"):
            print(event["type"], event["aggregate"]["name"], event["actor"]["name"])
        print(api.audit.access("agent-01", "agents/agent-01/x", "publish", at="2025-01-31T12:00:00Z"))

    Resources: ``users``, ``acl.rules``, ``acl.rule_sets``, ``acl.check()``, ``api_keys``,
    ``sessions``, ``organization``, ``auth_providers``, ``tokens``, ``publish()``, ``events``
    (``list``, ``stream``), ``audit`` (``access``, ``state``).
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_retry_wait: float = 60.0,
        session: Optional[requests.Session] = None,
        ca_file: Optional[str] = None,
    ) -> None:
        """``ca_file``: a CA certificate or bundle (PEM) to verify the server's certificate with,
        e.g. the ``ca.crt`` of ``make tls`` (default: ``CLOUDSIGNAL_CA_FILE``, else the system's)."""
        api_key = api_key if api_key is not None else os.environ.get("CLOUDSIGNAL_API_KEY")
        base_url = base_url or os.environ.get("CLOUDSIGNAL_API_URL") or DEFAULT_API_URL
        self._http = HttpClient(api_key, base_url, timeout=timeout, max_retries=max_retries, session=session,
                                max_retry_wait=max_retry_wait)
        ca_file = ca_file or os.environ.get("CLOUDSIGNAL_CA_FILE")
        if ca_file:
            self._http.session.verify = ca_file
        self.users = Users(self._http)
        self.acl = Acl(self._http)
        self.api_keys = ApiKeys(self._http)
        self.sessions = Sessions(self._http)
        self.organization = OrganizationResource(self._http)
        self.auth_providers = AuthProviders(self._http)
        self.tokens = Tokens(self._http)
        self.publish = Publish(self._http)
        self.events = Events(self._http)
        self.audit = Audit(self._http)
        self.presence = Presence(self._http)
        self.retained = Retained(self._http)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._http.session.close()

    def __enter__(self) -> "CloudSignal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CloudSignal(base_url={self.base_url!r})"
