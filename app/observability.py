"""Operations: JSON logs with request ids, /healthz, /readyz and Prometheus metrics at /metrics.

Under gunicorn every worker records metrics into PROMETHEUS_MULTIPROC_DIR, one folder per gunicorn
instance under CLOUDSIGNAL_METRICS_DIR (gunicorn.conf.py sets both before prometheus_client is
imported), and /metrics adds up the files of every worker of both instances, public and internal,
whichever worker answers.
"""

import glob
import json
import logging
import os
import re
import threading
import time
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, cast

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.metrics_core import Metric

from app.current import current_domain

HTTP_REQUESTS = Counter("cloudsignal_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
HTTP_LATENCY = Histogram("cloudsignal_http_request_seconds", "HTTP request latency", ["endpoint"])
AUTH_DECISIONS = Counter("cloudsignal_auth_decisions_total", "Broker CONNECT decisions", ["result"])
AUTH_LATENCY = Histogram("cloudsignal_auth_decision_seconds", "Broker CONNECT decision latency")
BROKER_CONNECTS = Counter("cloudsignal_broker_connects_total",
                          "CONNECTs as the broker plugin reports them: local_admits, local_refusals, http_calls, "
                          "throttled", ["outcome"])
PUBLISHED = Counter("cloudsignal_http_published_messages_total", "Messages published through the API", ["qos"])
READ_MODEL_LAG = Gauge("cloudsignal_read_model_lag_events", "Events recorded but not yet in the read model",
                       multiprocess_mode="max")
ACTIVE_SESSIONS = Gauge("cloudsignal_active_sessions", "Connected MQTT sessions", ["org_id"],
                        multiprocess_mode="max")
QUOTA_REFUSALS = Counter("cloudsignal_quota_refusals_total", "Requests or messages refused by a quota",
                         ["org_id", "quota"])
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


class QuotaRefusalLog:
    """Counts quota refusals and logs them per organization at most once a minute, with the
    counts since the previous line (a refusal after a quiet minute is logged at once; later ones
    are summed and logged when the minute is over)."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 logger: Optional[logging.Logger] = None):
        self.interval, self.clock = interval, clock
        self.log = logger or logging.getLogger("cloudsignal.quotas")
        self.lock = threading.Lock()
        self.pending: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.logged_at: Dict[str, float] = {}
        self.flusher: Optional[threading.Thread] = None

    def record(self, org_id: str, quota: str, count: int = 1) -> None:
        QUOTA_REFUSALS.labels(org_id, quota).inc(count)
        with self.lock:
            self.pending[org_id][quota] += count
            due = self._take_due(only=org_id)
            if not due and (self.flusher is None or not self.flusher.is_alive()):
                self.flusher = threading.Thread(target=self._flush_forever, name="quota-refusal-log", daemon=True)
                self.flusher.start()
        self._write(due)

    def flush(self) -> None:
        """Log every organization whose minute is over."""
        with self.lock:
            due = self._take_due()
        self._write(due)

    def _take_due(self, only: Optional[str] = None) -> Dict[str, Dict[str, int]]:
        now, due = self.clock(), {}
        for org_id in [only] if only else list(self.pending):
            if org_id in self.pending and now - self.logged_at.get(org_id, float("-inf")) >= self.interval:
                due[org_id] = dict(self.pending.pop(org_id))
                self.logged_at[org_id] = now
        return due

    def _write(self, due: Dict[str, Dict[str, int]]) -> None:
        for org_id, counts in due.items():
            self.log.warning("quota refusals for %s: %s", org_id,
                             ", ".join(f"{quota} refused {count}" for quota, count in sorted(counts.items())))

    def _flush_forever(self) -> None:
        while True:
            time.sleep(min(5.0, self.interval))
            self.flush()
            with self.lock:
                if not self.pending:
                    self.flusher = None
                    return


QUOTA_REFUSAL_LOG = QuotaRefusalLog()
# Error codes of the service's quota refusals -> the quota that refused
REFUSAL_QUOTAS = {"rate_limited": "rate_limit_per_minute", "message_quota_exceeded": "messages_per_minute"}
QUOTA_NAME = re.compile(r"its (\w+) quota")


def record_quota_refusal(org_id: str, quota: str, count: int = 1) -> None:
    """Count and log a refusal by `quota` (the service's own, or one the broker reported)."""
    if has_request_context():
        g.quota_refusal_recorded = True
    QUOTA_REFUSAL_LOG.record(org_id, quota, count)


def _refused_quota(response: Response) -> Optional[str]:
    if response.status_code not in (403, 429) or not response.is_json:
        return None
    body = response.get_json(silent=True) or {}
    code = body.get("error") if isinstance(body, dict) else None
    if code == "quota_exceeded":
        found = QUOTA_NAME.search(str(body.get("message", "")))
        return found.group(1) if found else "unknown"
    return REFUSAL_QUOTAS.get(code or "")


class AllInstancesCollector:
    """The metrics files of every gunicorn instance (public and internal) under one root."""

    def __init__(self, root: str):
        self.root = root

    def collect(self) -> Iterable[Metric]:
        # MultiProcessCollector.merge is unannotated (Any); it returns the merged Metric objects
        for _ in range(3):  # a file may vanish under us (a worker's exit, a restart's cleanup)
            files = glob.glob(os.path.join(self.root, "*", "*.db"))
            try:
                return cast(Iterable[Metric], multiprocess.MultiProcessCollector.merge(files, accumulate=True))
            except FileNotFoundError:
                continue
        return cast(Iterable[Metric], multiprocess.MultiProcessCollector.merge(
            [path for path in glob.glob(os.path.join(self.root, "*", "*.db")) if os.path.exists(path)]))


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
        quota = _refused_quota(response)
        if quota and g.get("org_id") and not g.get("quota_refusal_recorded"):
            record_quota_refusal(g.org_id, quota)
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
        root = os.environ.get("CLOUDSIGNAL_METRICS_DIR")
        if root and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            registry.register(AllInstancesCollector(root))
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
