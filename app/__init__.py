"""The CloudSignal service: the public REST API (/v2), the broker's auth backend (/internal) and the dashboard."""

import logging
import os
import time
from typing import Mapping, Optional

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, ProgrammingError
from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import domain_env, load_config
from app.errors import register_error_handlers
from app.observability import install_observability
from app.ratelimit import OrganizationLimiter
from app.extensions.smorest import Api
from app.requests import install_request_hooks
from app.broker.notifier import BrokerNotifier
from app.broker.router import connect as connect_brokers
from app.resources.acl.routes import blp as acl_blp
from app.resources.api_keys.routes import blp as api_keys_blp
from app.resources.audit.routes import blp as audit_blp
from app.resources.auth_providers.routes import blp as auth_providers_blp
from app.resources.internal.routes import blp as internal_blp
from app.resources.organization.routes import blp as organization_blp
from app.resources.policy.routes import blp as policy_blp
from app.resources.organization import usage as _usage  # noqa: F401  (GET /v2/organization/usage)
from app.dashboard import install_dashboard
from app.resources.publish.routes import blp as publish_blp
from app.resources.sessions.routes import blp as sessions_blp
from app.resources.tokens.routes import blp as tokens_blp
from app.resources.users.routes import blp as users_blp
from app.resources.utilities.routes import blp as utilities_blp
from app.resources.whoami.routes import blp as whoami_blp
from events.application import CloudSignal
from events.broker_state import verifier_key
from events.brokers import broker_env
from events.snapshot import snapshot_env
from events.store import persistence_env

# The public API; the broker's endpoints (/internal) are served by the `internal` role only, on
# their own listener (CLOUDSIGNAL_INTERNAL_BIND), so public traffic can never delay them.
BLUEPRINTS = (
    users_blp, acl_blp, api_keys_blp, organization_blp, sessions_blp, publish_blp, auth_providers_blp,
    tokens_blp, audit_blp, policy_blp, whoami_blp, utilities_blp,
)
# `stream`: the live event streams (/v2/events/stream) alone, in their own gunicorn instance with
# many threads, where the edge sends them: open streams never hold a thread the API needs.
ROLE_BLUEPRINTS = {"public": BLUEPRINTS, "internal": (internal_blp,), "stream": (audit_blp,)}
log = logging.getLogger("cloudsignal")


def create_app(environ: Optional[Mapping[str, str]] = None, follow: bool = True, role: Optional[str] = None) -> Flask:
    """Build the service from `environ` (default: the process environment).

    `role` (default `CLOUDSIGNAL_ROLE`, else `public`): `public` serves /v2; `internal` serves the
    broker's /internal endpoints and opens no MQTT connection of its own. Both serve /healthz,
    /readyz and /metrics. `follow=False` leaves the read model as built at start (for one-shot
    admin commands).
    """
    environ = dict(os.environ if environ is None else environ)
    if role is not None:
        environ["CLOUDSIGNAL_ROLE"] = role
    app = Flask("cloudsignal")
    app.config.update(load_config(environ))
    role = app.config["ROLE"]

    domain = build_domain(environ, wait_for_store=60)
    if follow:
        domain.view.follow(on_error=lambda error: log.warning("read model follow failed: %s", error))
    app.extensions["cloudsignal"] = domain
    app.extensions["cloudsignal.ratelimit"] = OrganizationLimiter(app.config["RATELIMIT_STORAGE"])
    if follow and app.config["BROKER_SECRET"] and role == "public":  # commands to the broker
        broker = connect_brokers(domain, environ, app.config["INTERNAL_USERNAME"], app.config["BROKER_SECRET"],
                                 app.config["BROKER_HOST"], app.config["BROKER_PORT"])  # several: CLOUDSIGNAL_BROKERS
        domain.listeners.append(BrokerNotifier(domain, broker.send_commands, app.config["TENANCY"],
                                               verifier_key(app.config["BROKER_SECRET"])))
        app.extensions["cloudsignal.broker"] = broker

    api = Api(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "secretKeyHeader", {"type": "apiKey", "in": "header", "name": "X-Secret-Key"}
    )
    api.spec.components.security_scheme("brokerSecret", {"type": "http", "scheme": "bearer"})
    for blueprint in ROLE_BLUEPRINTS[role]:
        api.register_blueprint(blueprint)
    register_error_handlers(app)
    install_request_hooks(app)

    install_observability(app)
    if role == "internal":
        return app
    if app.config["TRUSTED_PROXIES"]:  # behind the edge: its X-Forwarded-* name the client
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # WSGI middleware, as Flask documents
    if role == "public":
        install_dashboard(app, environ)
    # Browsers call the API from other origins (token exchange with a public key, above all).
    CORS(app, resources={r"/v2/*": {"origins": app.config["CORS_ORIGINS"]}},
         allow_headers=["Authorization", "Content-Type", "X-Secret-Key", "X-Request-Id"],
         expose_headers=["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                         "Retry-After"])
    return app


def build_domain(environ: Mapping[str, str], build_view: bool = True, wait_for_store: float = 0) -> CloudSignal:
    """The domain application on the configured store; waits up to `wait_for_store` seconds for
    an unreachable database (a worker booting during a database restart)."""
    env = {**persistence_env(environ), **domain_env(environ), **snapshot_env(environ), **broker_env(environ)}
    deadline = time.monotonic() + wait_for_store
    races = 0
    while True:
        try:
            return CloudSignal(env=env, build_view=build_view)
        except (IntegrityError, ProgrammingError):
            # Processes starting together on a new database race to create its tables: the
            # losers see "already exists" and find the tables there when they try again.
            races += 1
            if races > 5:
                raise
            time.sleep(0.1 * races)
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() > deadline:
                raise
            log.warning("event store unreachable, retrying: %s", error)
            time.sleep(1)
