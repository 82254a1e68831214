"""gunicorn settings for the CloudSignal service (`gunicorn -c gunicorn.conf.py wsgi:app`)."""

import os
import shutil
import tempfile

from prometheus_client import multiprocess

bind = os.environ.get("CLOUDSIGNAL_BIND", "127.0.0.1:8080")
# The embedded SQLite store has one writer, so one process; PostgreSQL serves several.
workers = int(os.environ.get("CLOUDSIGNAL_WORKERS") or (2 if os.environ.get("DATABASE_URL") else 1))
worker_class = "gthread"
threads = int(os.environ.get("CLOUDSIGNAL_THREADS", "4"))
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("CLOUDSIGNAL_ACCESS_LOG", "-") or None  # empty: no access log
control_socket_disable = True  # several services may run side by side (tests, benchmarks)

# Each worker writes its metrics here; /metrics sums them (prometheus_client's multiprocess mode).
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="cloudsignal-metrics-"))
access_log_format = (
    '{"time": "%(t)s", "level": "info", "logger": "access", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)


def on_starting(server):  # noqa: ARG001 (gunicorn's hook signature)
    for entry in os.listdir(_metrics_dir):  # metrics of a previous run must not add up
        os.unlink(os.path.join(_metrics_dir, entry))


def child_exit(server, worker):  # noqa: ARG001
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ARG001
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
