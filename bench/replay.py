"""How long rebuilding the read model takes, from PostgreSQL and from SQLite.

For 10k, 100k and 1M events it writes a realistic history straight into a fresh store (users
created, then changed several times), then times a new application replaying it. The baseline in
the same run is reading the same notifications without decoding or applying them. It also times a
point-in-time question (`/v2/audit/access`'s work: could a user publish at a past moment?) on
each store.

Run: .venv/bin/python bench/replay.py [--sizes 10000,100000,1000000] [--smoke]
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.access.question import ask  # noqa: E402
from events.application import CloudSignal  # noqa: E402
from events.audit import PointInTime  # noqa: E402
from events.domainmodel import MqttUser, NameClaim  # noqa: E402
from events.readmodel import PAGE_SIZE  # noqa: E402
from events.secrets import hash_password  # noqa: E402
from events.store import persistence_env  # noqa: E402
from tests.support.processes import PostgresCluster  # noqa: E402

EVENTS_PER_USER = 6  # the name claim; Created, then metadata, disable, enable, password change
BATCH = 5000


def write_history(env: dict, total: int) -> None:
    app = CloudSignal(env=env)
    org = app.create_organization("bench")
    password_hash = hash_password("bench-password")  # one slow hash, reused: we time replay, not argon2
    pending = []
    for number in range(total // EVENTS_PER_USER):
        user = MqttUser(user_id=f"usr_{number}", org_id=org.org_id, name=f"user-{number}",
                        password_hash=password_hash, rule_set_id=None, metadata={})
        user.change_metadata({"n": number})
        user.disable()
        user.enable()
        user.change_password(password_hash)
        claim = NameClaim(kind="user", org_id=org.org_id, name=user.name, owner=user.user_id)
        pending += claim.collect_events() + user.collect_events()
        if len(pending) >= BATCH:
            app.recorder.insert_events([app.mapper.to_stored_event(e) for e in pending])
            pending = []
    if pending:
        app.recorder.insert_events([app.mapper.to_stored_event(e) for e in pending])


def time_raw_read(env: dict) -> float:
    app = CloudSignal.__new__(CloudSignal)
    super(CloudSignal, app).__init__(env=env)  # a bare application: recorder only, no read model
    started, position = time.perf_counter(), 0
    while True:
        page = app.recorder.select_notifications(position + 1, PAGE_SIZE)
        if not page:
            return time.perf_counter() - started
        position = page[-1].id


def time_replay(env: dict) -> tuple:
    started = time.perf_counter()
    app = CloudSignal(env=env)
    return time.perf_counter() - started, app


def time_point_in_time(app: CloudSignal, users: int, queries: int = 200) -> float:
    """Mean milliseconds per access question about a user, asked at the present moment."""
    org_id = app.view.organizations()[0].org_id
    moment = PointInTime(app, org_id, datetime.now(timezone.utc))
    started = time.perf_counter()
    for number in range(queries):
        username = f"user-{(number * 7919) % users}"
        user, _ = moment.user(username)
        answer = ask(moment, user, username=username, topic="a/b", action="publish")
        assert not answer.reason.startswith("no user"), answer.reason
    return (time.perf_counter() - started) * 1000 / queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--smoke", action="store_true", help="600 events: check that the benchmark runs")
    options = parser.parse_args()
    sizes = [600] if options.smoke else [int(size) for size in options.sizes.split(",")]
    cluster = PostgresCluster().start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for size in sizes:
                stores = {
                    "postgresql": persistence_env({"DATABASE_URL": cluster.create_database(f"replay_{size}")}),
                    "sqlite": persistence_env({"CLOUDSIGNAL_SQLITE_PATH": os.path.join(folder, f"{size}.sqlite")}),
                }
                for store, env in stores.items():
                    write_history(env, size)
                    raw = time_raw_read(env)
                    seconds, app = time_replay(env)
                    events = app.view.position
                    query_ms = time_point_in_time(app, size // EVENTS_PER_USER)
                    rows.append((store, events, seconds, events / seconds, events / raw, query_ms))
                    print(f"  {store:<10} {events:>9,} events replayed in {seconds:6.2f} s", file=sys.stderr)
    finally:
        cluster.stop()
    print(f"\n{'store':<10} {'events':>10} {'replay s':>9} {'events/s':>10} {'raw read events/s':>18} "
          f"{'point-in-time ms':>17}")
    for store, events, seconds, rate, raw_rate, query_ms in rows:
        print(f"{store:<10} {events:>10,} {seconds:>9.2f} {rate:>10,.0f} {raw_rate:>18,.0f} {query_ms:>17.2f}")


if __name__ == "__main__":
    main()
