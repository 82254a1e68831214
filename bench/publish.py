"""`POST /v2/publish` requests/second and latency at 32 concurrent clients, QoS 0 and 1, and
messages/second through `POST /v2/publish/batch`.

Starts the service (SQLite, one gunicorn process with 4 threads, as `make run` does; and the
PostgreSQL configuration with 2 processes) and Mosquitto with the plugin. A mosquitto_sub
subscriber counts deliveries so the figures are messages that arrived, not just requests answered.
The baseline in the same run is `GET /healthz` at the same concurrency.

Run: .venv/bin/python bench/publish.py [--seconds 5] [--smoke]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import httpload  # noqa: E402
from tests.support.processes import Broker, PostgresCluster, Service  # noqa: E402

CONCURRENCY = (4, 8)  # processes x threads = 32 clients
BATCH = 500


def publish_qos0(worker: str, number: int) -> httpload.Request:
    return ("POST", "/v2/publish", json.dumps({"topic": "bench/publish", "payload": {"n": number}, "qos": 0}))


def publish_qos1(worker: str, number: int) -> httpload.Request:
    return ("POST", "/v2/publish", json.dumps({"topic": "bench/publish", "payload": {"n": number}, "qos": 1}))


def batch(worker: str, number: int) -> httpload.Request:
    messages = [{"topic": "bench/publish", "payload": str(n), "qos": 1} for n in range(BATCH)]
    return ("POST", "/v2/publish/batch", json.dumps({"messages": messages}))


def healthz(worker: str, number: int) -> httpload.Request:
    return ("GET", "/healthz", None)


class CountingSubscriber:
    """mosquitto_sub (line-buffered) on bench/#, counting the messages that arrive."""

    def __init__(self, broker: Broker, username: str):
        self.count = 0
        self.process = subprocess.Popen(
            ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-u", username,
             "-P", "bench-password", "-t", "bench/#", "-q", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        time.sleep(0.5)

    def _read(self) -> None:
        for _ in self.process.stdout:
            self.count += 1

    def settle(self) -> int:
        """Wait until nothing more arrives for a second; stop; return the count."""
        last = -1
        while self.count != last:
            last = self.count
            time.sleep(1)
        self.process.terminate()
        self.process.wait()
        return self.count


def measure(store_env: dict, label: str, seconds: float, workers) -> list:
    work = Path(tempfile.mkdtemp(prefix="cloudsignal-bench-"))
    service = Service({**store_env, "CLOUDSIGNAL_TENANCY": "single"}, workers=workers, log_dir=work)
    broker = Broker(service.internal_url)
    service.env.update({"CLOUDSIGNAL_BROKER_SECRET": broker.secret, "CLOUDSIGNAL_BROKER_PORT": str(broker.port)})
    key = json.loads(service.admin("init", "--json").stdout)["key"]
    broker.start()
    service.start()
    rows = []
    try:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        httpload.request(service.port, headers, "POST", "/v2/acl/rules",
                         json.dumps({"topic": "bench/#", "action": "subscribe", "permission": "allow"}))
        user = json.loads(httpload.request(service.port, headers, "POST", "/v2/users",
                                           json.dumps({"username": "counter", "password": "bench-password"})))
        time.sleep(1)  # the internal broker connection comes up
        rows.append((label, "GET /healthz (baseline)", *httpload.run(service.port, headers, healthz, seconds, *CONCURRENCY), None))
        for qos, scenario in ((0, publish_qos0), (1, publish_qos1)):
            subscriber = CountingSubscriber(broker, user["mqtt_username"])
            rate, p50, p99 = httpload.run(service.port, headers, scenario, seconds, *CONCURRENCY)
            delivered = subscriber.settle()
            rows.append((label, f"POST /v2/publish QoS {qos}", rate, p50, p99, delivered / seconds))
        subscriber = CountingSubscriber(broker, user["mqtt_username"])
        rate, p50, p99 = httpload.run(service.port, headers, batch, seconds, 4, 1)
        delivered = subscriber.settle()
        rows.append((label, f"POST /v2/publish/batch ({BATCH} QoS 1)", rate, p50, p99, delivered / seconds))
    finally:
        service.stop()
        broker.remove()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--smoke", action="store_true", help="half a second, SQLite only: check that the benchmark runs")
    options = parser.parse_args()
    seconds = 0.5 if options.smoke else options.seconds
    rows = measure({"CLOUDSIGNAL_SQLITE_PATH": tempfile.mktemp(suffix=".sqlite")}, "sqlite, 1x4", seconds, None)
    if not options.smoke:
        cluster = PostgresCluster().start()
        try:
            rows += measure({"DATABASE_URL": cluster.create_database("publish_bench")}, "postgres, 2x4", seconds, None)
        finally:
            cluster.stop()
    print(f"\n32 concurrent HTTP clients ({CONCURRENCY[0]} processes x {CONCURRENCY[1]} threads), keep-alive, "
          f"{seconds:.0f} s each; batch: 4 clients")
    print(f"{'service':<14} {'scenario':<36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'delivered msg/s':>16}")
    for label, scenario, rate, p50, p99, delivered in rows:
        shown = f"{delivered:>16,.0f}" if delivered is not None else f"{'':>16}"
        print(f"{label:<14} {scenario:<36} {rate:>8,.0f} {p50:>8.1f} {p99:>8.1f} {shown}")


if __name__ == "__main__":
    main()
