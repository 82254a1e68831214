"""Operations: JSON logs with request ids, /healthz, /readyz and Prometheus metrics at /metrics.

Under gunicorn every worker records metrics into PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets
it) and /metrics adds them up, whichever worker answers.
"""

import json
import logging
import os
import time
from typing import Any, Dict, Tuple

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from app.domain import current_domain

HTTP_REQUESTS = Counter("cloudsignal_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
HTTP_LATENCY = Histogram("cloudsignal_http_request_seconds", "HTTP request latency", ["endpoint"])
AUTH_DECISIONS = Counter("cloudsignal_auth_decisions_total", "Broker CONNECT decisions", ["result"])
AUTH_LATENCY = Histogram("cloudsignal_auth_decision_seconds", "Broker CONNECT decision latency")
PUBLISHED = Counter("cloudsignal_http_published_messages_total", "Messages published through the API", ["qos"])
READ_MODEL_LAG = Gauge("cloudsignal_read_model_lag_events", "Events recorded but not yet in the read model",
                       multiprocess_mode="max")
ACTIVE_SESSIONS = Gauge("cloudsignal_active_sessions", "Connected MQTT sessions", ["org_id"],
                        multiprocess_mode="max")
READY_LAG_LIMIT = 1000  # events behind the log at most, to count as caught up


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: Dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname.lower(),
            "logger": record.name, "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("CLOUDSIGNAL_LOG_LEVEL", "INFO").upper())


def readiness() -> Tuple[Dict[str, Any], bool]:
    domain = current_domain()
    checks: Dict[str, Any] = {}
    try:
        latest = domain.recorder.max_notification_id()
        checks["event_store"] = "ok"
        lag = max(0, latest - domain.view.position)
        checks["read_model_lag"] = lag
        checks["read_model"] = "ok" if lag <= READY_LAG_LIMIT else "catching up"
    except Exception as error:  # any failure to reach the store means not ready
        checks["event_store"] = f"unreachable: {error.__class__.__name__}"
    broker = current_app.extensions.get("cloudsignal.broker")
    if broker is not None:
        checks["broker"] = "ok" if broker.connected else "disconnected"
    ready = all(value == "ok" for key, value in checks.items() if key != "read_model_lag")
    return checks, ready


def install_observability(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        if "started" in g:
            HTTP_LATENCY.labels(endpoint).observe(time.perf_counter() - g.started)
        return response

    @app.get("/healthz")
    def healthz() -> Dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Tuple[Dict[str, Any], int]:
        """The event store answers, the broker connection is up, the read model is caught up."""
        checks, ready = readiness()
        return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503

    @app.get("/metrics")
    def metrics() -> Response:
        domain = current_domain()
        try:
            READ_MODEL_LAG.set(max(0, domain.recorder.max_notification_id() - domain.view.position))
        except Exception:  # the store is down; the lag stays as last seen
            pass
        for org in domain.view.organizations():
            ACTIVE_SESSIONS.labels(org.org_id).set(
                sum(1 for s in domain.view.sessions_of(org.org_id) if s.disconnected_at is None))
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
