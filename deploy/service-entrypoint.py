"""Container entry point of the service: the three gunicorn instances of one deployment.

The public API (CLOUDSIGNAL_BIND, 127.0.0.1:8180), the live event streams (CLOUDSIGNAL_STREAM_BIND,
127.0.0.1:8182), both reached through the edge, which shares this network namespace, and the
broker's endpoints (CLOUDSIGNAL_INTERNAL_BIND, 127.0.0.1:8081: the broker shares this network
namespace too; the edge has no route to them). Each has its own processes, so public traffic never
delays a CONNECT decision.
Both write metrics under CLOUDSIGNAL_METRICS_DIR; /metrics on either adds them up. SIGTERM stops
both; when either stops, the other is stopped too and the container exits (Compose restarts it).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CLOUDSIGNAL_METRICS_DIR", "/tmp/cloudsignal-metrics")
command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
processes = [subprocess.Popen(command, cwd=ROOT, env={**os.environ, "CLOUDSIGNAL_ROLE": role})
             for role in ("internal", "public", "stream")]


stopping = []


def stop(signum=None, frame=None):  # noqa: ARG001 (signal handler signature)
    if signum is not None:
        stopping.append(signum)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
status = os.wait()[1]  # the first to exit
stop()
for process in processes:
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
sys.exit(0 if stopping else os.waitstatus_to_exitcode(status) or 1)
