"""Requests per second for `POST /v2/users` and `GET /v2/users/{username}` under concurrency.

Starts PostgreSQL and the service (gunicorn, as configured for PostgreSQL) and drives it from
several client processes with keep-alive connections. The baseline in the same run is
`GET /healthz`, the cost of the server stack with no API work. Clients share the machine's
cores with the service, so figures are a floor.

Run: .venv/bin/python bench/api.py [--seconds 5] [--clients 4]
"""

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.processes import PostgresCluster, Service  # noqa: E402


def drive(args: tuple) -> list:
    port, key, scenario, seconds, worker = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies, number, deadline = [], 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        if scenario == "POST /v2/users":
            body = json.dumps({"username": f"w{worker}-{number}-{uuid.uuid4().hex[:6]}", "password": "secure-password"})
            request = ("POST", "/v2/users", body)
        elif scenario == "GET /v2/users/{username}":
            request = ("GET", "/v2/users/reader", None)
        else:
            request = ("GET", "/healthz", None)
        started = time.perf_counter()
        connection.request(*request, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(f"{scenario}: HTTP {response.status}")
        latencies.append(time.perf_counter() - started)
        number += 1
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    options = parser.parse_args()
    cluster = PostgresCluster().start()
    service = Service({"DATABASE_URL": cluster.create_database("api_bench"), "CLOUDSIGNAL_TENANCY": "single"},
                      workers=None)
    rows = []
    try:
        key = json.loads(service.admin("init", "--json").stdout)["key"]
        service.start()
        drive((service.port, key, "POST /v2/users", 0.1, "warm"))
        connection = http.client.HTTPConnection("127.0.0.1", service.port)
        connection.request("POST", "/v2/users", json.dumps({"username": "reader", "password": "secure-password"}),
                           {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        connection.getresponse().read()
        scenarios = ["GET /healthz (baseline)", "GET /v2/users/{username}", "POST /v2/users"]
        with multiprocessing.Pool(options.clients) as pool:
            for scenario in scenarios:
                jobs = [(service.port, key, scenario, options.seconds, n) for n in range(options.clients)]
                started = time.perf_counter()
                latencies = sorted(sum(pool.map(drive, jobs), []))
                elapsed = time.perf_counter() - started
                rows.append((scenario, len(latencies) / elapsed, statistics.median(latencies) * 1000,
                             latencies[int(len(latencies) * 0.99)] * 1000))
    finally:
        service.stop()
        cluster.stop()
    print(f"\n{options.clients} client processes, {options.seconds:.0f} s each, keep-alive")
    print(f"{'scenario':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for scenario, rate, p50, p99 in rows:
        print(f"{scenario:<28} {rate:>8,.0f} {p50:>8.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
