"""Requests per second for `POST /v2/users` and `GET /v2/users/{username}` under concurrency.

Starts PostgreSQL and the service (gunicorn, as configured for PostgreSQL) and drives it from
several client processes with keep-alive connections. The baseline in the same run is
`GET /healthz`, the cost of the server stack with no API work. Clients share the machine's
cores with the service, so figures are a floor.

Run: .venv/bin/python bench/api.py [--seconds 5] [--clients 4] [--smoke]
"""

import argparse
import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import httpload  # noqa: E402
from tests.support.processes import PostgresCluster, Service  # noqa: E402


def healthz(worker: str, number: int) -> httpload.Request:
    return ("GET", "/healthz", None)


def get_user(worker: str, number: int) -> httpload.Request:
    return ("GET", "/v2/users/reader", None)


def create_user(worker: str, number: int) -> httpload.Request:
    name = f"w{worker}-{number}-{uuid.uuid4().hex[:6]}"
    return ("POST", "/v2/users", json.dumps({"username": name, "password": "secure-password"}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--smoke", action="store_true", help="half a second, 2 clients: check that the benchmark runs")
    options = parser.parse_args()
    if options.smoke:
        options.seconds, options.clients = 0.5, 2
    cluster = PostgresCluster().start()
    service = Service({"DATABASE_URL": cluster.create_database("api_bench"), "CLOUDSIGNAL_TENANCY": "single",
                       "CLOUDSIGNAL_MAX_USERS": "1000000"}, workers=None)  # POST /v2/users makes thousands
    rows = []
    try:
        key = json.loads(service.admin("init", "--json").stdout)["key"]
        service.start()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        httpload.request(service.port, headers, "POST", "/v2/users",
                         json.dumps({"username": "reader", "password": "secure-password"}))
        for name, scenario in (("GET /healthz (baseline)", healthz), ("GET /v2/users/{username}", get_user),
                               ("POST /v2/users", create_user)):
            rows.append((name, *httpload.run(service.port, headers, scenario, options.seconds, options.clients)))
    finally:
        service.stop()
        cluster.stop()
    print(f"\n{options.clients} client processes, {options.seconds:.0f} s each, keep-alive")
    print(f"{'scenario':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for scenario, rate, p50, p99 in rows:
        print(f"{scenario:<28} {rate:>8,.0f} {p50:>8.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
