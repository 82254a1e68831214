"""gunicorn settings for the CloudSignal service (`gunicorn -c gunicorn.conf.py wsgi:app`)."""

import os

bind = os.environ.get("CLOUDSIGNAL_BIND", "127.0.0.1:8080")
# The embedded SQLite store has one writer, so one process; PostgreSQL serves several.
workers = int(os.environ.get("CLOUDSIGNAL_WORKERS") or (2 if os.environ.get("DATABASE_URL") else 1))
worker_class = "gthread"
threads = int(os.environ.get("CLOUDSIGNAL_THREADS", "4"))
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("CLOUDSIGNAL_ACCESS_LOG", "-") or None  # empty: no access log
control_socket_disable = True  # several services may run side by side (tests, benchmarks)
