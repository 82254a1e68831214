"""The request's view of the process: its CloudSignal application (commands and read model), its broker link."""

from typing import Optional, cast

from flask import current_app

from app.broker.connection import BrokerConnection
from app.errors import ApiError
from events.application import CloudSignal


def current_domain() -> CloudSignal:
    # Flask's extensions dict holds Any; create_app() puts the CloudSignal application there
    return cast(CloudSignal, current_app.extensions["cloudsignal"])


def current_broker() -> BrokerConnection:
    broker: Optional[BrokerConnection] = current_app.extensions.get("cloudsignal.broker")
    if broker is None:
        raise ApiError(503, "no broker is configured for this service (CLOUDSIGNAL_BROKER_SECRET)",
                       "broker_not_configured")
    return broker


def broker_topic(org_id: str, topic: str) -> str:
    """Where an API topic lives on the broker: under `{org_id}/` in multi tenancy."""
    return f"{org_id}/{topic}" if current_app.config["TENANCY"] == "multi" else topic
