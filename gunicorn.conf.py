"""gunicorn settings for the CloudSignal service.

Two gunicorn instances serve one deployment, from the same app factory and this same file:

    gunicorn -c gunicorn.conf.py wsgi:app                             # public: /v2, CLOUDSIGNAL_BIND
    CLOUDSIGNAL_ROLE=internal gunicorn -c gunicorn.conf.py wsgi:app   # broker: /internal, CLOUDSIGNAL_INTERNAL_BIND
    CLOUDSIGNAL_ROLE=stream gunicorn -c gunicorn.conf.py wsgi:app     # /v2/events/stream, CLOUDSIGNAL_STREAM_BIND

The internal instance has processes of its own, so a public API held by slow clients never
delays a CONNECT decision. Behind the edge (deploy/edge), a third instance serves the live event
streams alone: one process with many threads (CLOUDSIGNAL_STREAM_THREADS, default 256), each
stream sleeping in its own thread between polls of the read model, so 200 open streams take no
thread of the API's. A bind that names a path (or starts with `unix:`) is a unix socket.
"""

import hashlib
import os
import shutil
import tempfile
from typing import Protocol

ROLE = os.environ.get("CLOUDSIGNAL_ROLE", "public")
if ROLE not in ("public", "internal", "stream"):
    raise SystemExit(f"CLOUDSIGNAL_ROLE must be public, internal or stream, not {ROLE!r}")
PUBLIC_BIND = os.environ.get("CLOUDSIGNAL_BIND", "127.0.0.1:8080")
INTERNAL_BIND = os.environ.get("CLOUDSIGNAL_INTERNAL_BIND", "127.0.0.1:8081")
STREAM_BIND = os.environ.get("CLOUDSIGNAL_STREAM_BIND", "127.0.0.1:8082")

# Metrics: every worker of both instances writes its own files (prometheus_client's multiprocess
# mode) under one root, each instance in its own subfolder, which only it clears at start; /metrics
# on either instance adds up all of them. PROMETHEUS_MULTIPROC_DIR must be set before anything
# imports prometheus_client: the library picks its value class once, at import.
_own_metrics_root = not os.environ.get("CLOUDSIGNAL_METRICS_DIR")
_metrics_root = os.environ.get("CLOUDSIGNAL_METRICS_DIR") or os.path.join(
    tempfile.gettempdir(),
    f"cloudsignal-metrics-{os.getuid()}-{hashlib.sha256(f'{PUBLIC_BIND}|{INTERNAL_BIND}'.encode()).hexdigest()[:12]}",
)
_metrics_dir = os.path.join(_metrics_root, ROLE)
os.makedirs(_metrics_dir, mode=0o700, exist_ok=True)
os.environ["CLOUDSIGNAL_METRICS_DIR"] = _metrics_root
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir

from prometheus_client import multiprocess  # noqa: E402 (after PROMETHEUS_MULTIPROC_DIR, on purpose)


def _gunicorn_bind(value: str) -> str:
    if value.startswith("unix:"):
        return value
    return f"unix:{value}" if "/" in value else value


bind = [_gunicorn_bind({"internal": INTERNAL_BIND, "stream": STREAM_BIND}.get(ROLE, PUBLIC_BIND))]
# The embedded SQLite store has one writer, so one process per instance; PostgreSQL serves several.
_default_workers = 2 if os.environ.get("DATABASE_URL") or os.environ.get("CLOUDSIGNAL_DATABASE_URL_FILE") else 1
workers = int(os.environ.get("CLOUDSIGNAL_INTERNAL_WORKERS" if ROLE == "internal" else "CLOUDSIGNAL_WORKERS")
              or _default_workers)
worker_class = "gthread"
threads = int(os.environ.get("CLOUDSIGNAL_THREADS", "4"))
if ROLE == "stream":  # one process (one read model), a thread per open stream
    workers = int(os.environ.get("CLOUDSIGNAL_STREAM_WORKERS", "1"))
    threads = int(os.environ.get("CLOUDSIGNAL_STREAM_THREADS", "256"))
    worker_connections = threads + 64
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("CLOUDSIGNAL_ACCESS_LOG", "-") or None  # empty: no access log
control_socket_disable = True  # several services may run side by side (tests, benchmarks)
proc_name = f"cloudsignal-{ROLE}"
access_log_format = (
    '{"time": "%(t)s", "level": "info", "logger": "access", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)


class _Worker(Protocol):  # what the hooks use of gunicorn's Worker (gunicorn ships no type hints)
    pid: int


def on_starting(server: object) -> None:  # noqa: ARG001 (gunicorn's hook signature; server: its Arbiter)
    for entry in os.listdir(_metrics_dir):  # this instance's metrics of a previous run must not add up
        try:
            os.unlink(os.path.join(_metrics_dir, entry))
        except FileNotFoundError:
            pass


def child_exit(server: object, worker: _Worker) -> None:  # noqa: ARG001
    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server: object) -> None:  # noqa: ARG001
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    if _own_metrics_root:
        try:
            os.rmdir(_metrics_root)  # the last instance out removes the root it made
        except OSError:
            pass
