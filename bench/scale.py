"""Scale: read-model memory per user, cold start with and without a snapshot, memory over a
simulated day of reconnecting devices, and history query latency (issue 19).

Users are written straight into a SQLite store (as bench/replay.py does: one Argon2 hash reused,
we measure the read model, not Argon2): each user is a name claim and a Created event with a
rule set. Each measurement runs in a fresh child process:

- bytes per user: tracemalloc's retained total after the read model replayed the store (gc'd),
  divided by the users; the baseline in the same run is the same process before the replay;
- cold start: seconds until the application is built, with CLOUDSIGNAL_SNAPSHOT_PATH=off (whole
  log) and with the snapshot the first start wrote;
- simulated day: 10,000 devices connect and disconnect once an hour for 24 hours; the clock is
  simulated by the session events' timestamps (written straight into the store, as the service
  records the broker's reports); after each hour the read model follows and its memory (tracemalloc
  and RSS) is printed;
- history queries: `GET /v2/sessions/history` (a client's sessions; a time window) and the event
  list (`GET /v2/events`, 50 events after a random position) on that store, p50/p99 over 200 each.

Run: .venv/bin/python bench/scale.py [--users 100000,1000000] [--devices 10000 --hours 24] [--smoke]
"""

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from events.application import CloudSignal  # noqa: E402
from events.domainmodel import MqttUser, NameClaim, Session  # noqa: E402
from events.secrets import hash_password  # noqa: E402
from events.store import persistence_env  # noqa: E402

BATCH = 5000


def env_for(folder: str, snapshot: bool = True) -> dict:
    environ = {"CLOUDSIGNAL_SQLITE_PATH": os.path.join(folder, "store.sqlite"),
               "CLOUDSIGNAL_SECRETS_KEY_FILE": os.path.join(folder, "secrets.key")}
    env = {**persistence_env(environ), "CLOUDSIGNAL_SECRETS_KEY_FILE": environ["CLOUDSIGNAL_SECRETS_KEY_FILE"]}
    if not snapshot:
        env["CLOUDSIGNAL_SNAPSHOT_PATH"] = "off"
    return env


def insert(app: CloudSignal, events: list) -> None:
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in events])


def write_users(folder: str, users: int) -> str:
    app = CloudSignal(env=env_for(folder, snapshot=False))
    org = app.create_organization("bench")
    rule_set = app.create_rule_set(org.org_id, "devices", "", [
        {"topic": "devices/{username}/#", "action": "both", "permission": "allow"}])
    password_hash = hash_password("bench-password")
    pending = []
    for number in range(users):
        user = MqttUser(user_id=f"usr_{number:016d}", org_id=org.org_id, name=f"device-{number}",
                        password_hash=password_hash, rule_set_id=rule_set.rule_set_id, metadata={})
        claim = NameClaim(kind="user", org_id=org.org_id, name=user.name, owner=user.user_id)
        pending += claim.collect_events() + user.collect_events()
        if len(pending) >= BATCH:
            insert(app, pending)
            pending = []
    if pending:
        insert(app, pending)
    return org.org_id


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


# -- child processes (each measurement in a fresh interpreter) --------------------------------

def child_memory(folder: str) -> dict:
    env = env_for(folder, snapshot=False)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    app = CloudSignal(env=env)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    users = sum(len(app.view.users_of(org.org_id)) for org in app.view.organizations())
    return {"users": users, "bytes": after - before, "events": app.view.position}


def child_start(folder: str, snapshot: bool, write: bool = False) -> dict:
    started = time.perf_counter()
    app = CloudSignal(env=env_for(folder, snapshot=snapshot))
    seconds = time.perf_counter() - started
    if write and app.view.snapshots.position != app.view.position:  # small stores: no automatic one
        app.view.snapshots.write(background=False)
    return {"seconds": seconds, "from_snapshot": app.view.started_from, "events": app.view.position,
            "rss": rss()}


def child_day(folder: str, org_id: str, devices: int, hours: int) -> dict:
    """Sessions of `devices` devices, each connecting once an hour for `hours` hours."""
    app = CloudSignal(env=env_for(folder, snapshot=False))
    app.view.follow(interval=0.05)
    gc.collect()
    tracemalloc.start()
    base_traced = tracemalloc.get_traced_memory()[0]
    base_rss = rss()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    curve = []
    for hour in range(hours):
        pending = []
        for device in range(devices):
            at = start + timedelta(hours=hour, seconds=device * 3600 / devices)
            session = Session(session_id=f"s-{hour}-{device}", broker_id="bench", org_id=org_id,
                              client_id=f"device-{device}", username=f"device-{device}", peer_address="127.0.0.1",
                              protocol_version=5, clean_start=True, connected_at=at)
            session.close("client", at + timedelta(minutes=50))
            pending += session.collect_events()
            if len(pending) >= BATCH:
                insert(app, pending)
                pending = []
        if pending:
            insert(app, pending)
        deadline = time.monotonic() + 120
        while app.view.position < app.recorder.max_notification_id() and time.monotonic() < deadline:
            time.sleep(0.05)
        gc.collect()
        curve.append({"hour": hour + 1, "traced": tracemalloc.get_traced_memory()[0] - base_traced,
                      "rss": rss() - base_rss, "events": app.view.position})
    app.view.stop()
    return {"curve": curve}


def child_queries(folder: str, org_id: str, devices: int, queries: int) -> dict:
    from events.audit import read_events

    app = CloudSignal(env=env_for(folder))
    view = app.view
    view.index_history()
    latest = view.position
    rng = random.Random(19)
    timings = {"sessions of a client": [], "sessions in an hour": [], "events after a position": []}
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for _ in range(queries):
        client = f"device-{rng.randrange(devices)}"
        began = time.perf_counter()
        view.history.sessions(org_id, client_ids=[client, f"{org_id}/{client}"], limit=51)
        timings["sessions of a client"].append(time.perf_counter() - began)
        since = start + timedelta(minutes=rng.randrange(23 * 60))
        began = time.perf_counter()
        view.history.sessions(org_id, since=since, until=since + timedelta(hours=1), limit=51)
        timings["sessions in an hour"].append(time.perf_counter() - began)
        after = rng.randrange(latest)
        began = time.perf_counter()
        read_events(app, org_id, after, 50, lambda item: True)
        timings["events after a position"].append(time.perf_counter() - began)
    result = {}
    for name, values in timings.items():
        values.sort()
        result[name] = {"p50": values[len(values) // 2] * 1000, "p99": values[int(len(values) * 0.99) - 1] * 1000}
    return {"queries": result, "events": latest}


def run_child(*args: str) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], capture_output=True,
                            text=True, cwd=ROOT)
    if output.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def child_main(args: list) -> None:
    kind, folder, *rest = args
    if kind == "memory":
        result = child_memory(folder)
    elif kind == "start":
        result = child_start(folder, rest[0] != "off", rest[0] == "write")
    elif kind == "day":
        result = child_day(folder, rest[0], int(rest[1]), int(rest[2]))
    else:
        result = child_queries(folder, rest[0], int(rest[1]), int(rest[2]))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="100000,1000000")
    parser.add_argument("--devices", type=int, default=10000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that the benchmark runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_main(json.loads(options.child))
        return
    sizes = [300] if options.smoke else [int(size) for size in options.users.split(",")]
    devices, hours, queries = (50, 3, 20) if options.smoke else (options.devices, options.hours, options.queries)
    memory_rows, start_rows = [], []
    with tempfile.TemporaryDirectory() as root:
        for size in sizes:
            folder = os.path.join(root, str(size))
            os.makedirs(folder)
            began = time.perf_counter()
            org_id = write_users(folder, size)
            print(f"  {size:,} users written in {time.perf_counter() - began:.0f} s", file=sys.stderr)
            first = run_child("start", folder, "write")  # replays the log, indexes history, snapshots
            memory = run_child("memory", folder)
            without = run_child("start", folder, "off")
            time.sleep(0.5)
            with_snapshot = run_child("start", folder, "snapshot")
            memory_rows.append((size, memory["events"], memory["bytes"] / size))
            start_rows.append((size, memory["events"], first["seconds"], without["seconds"], with_snapshot["seconds"],
                               with_snapshot["from_snapshot"] is not None))
            print(f"  {size:,} users: {memory['bytes'] / size:.0f} bytes/user, start {without['seconds']:.1f} s "
                  f"(log) / {with_snapshot['seconds']:.1f} s (snapshot)", file=sys.stderr)
        day = run_child("day", folder, org_id, str(devices), str(hours))
        history = run_child("queries", folder, org_id, str(devices), str(queries))

    print(f"\nRead model per user (tracemalloc, after gc; one process)")
    print(f"{'users':>10} {'events':>10} {'bytes/user':>11}")
    for size, events, per_user in memory_rows:
        print(f"{size:>10,} {events:>10,} {per_user:>11.0f}")
    print(f"\nCold start (seconds until the application is built)")
    print(f"{'users':>10} {'events':>10} {'first start':>12} {'whole log':>10} {'snapshot':>9} {'used':>5}")
    for size, events, first, log_s, snap_s, used in start_rows:
        print(f"{size:>10,} {events:>10,} {first:>12.2f} {log_s:>10.2f} {snap_s:>9.2f} {'yes' if used else 'NO':>5}")
    print(f"\nSimulated day: {devices:,} devices reconnecting hourly, on top of {sizes[-1]:,} users "
          f"(memory growth of the read model since the start)")
    print(f"{'hour':>5} {'events':>10} {'traced KiB':>11} {'RSS KiB':>9}")
    for point in day["curve"]:
        print(f"{point['hour']:>5} {point['events']:>10,} {point['traced'] / 1024:>11.0f} {point['rss'] / 1024:>9.0f}")
    print(f"\nHistory queries on that store ({history['events']:,} events), milliseconds")
    print(f"{'query':<26} {'p50':>7} {'p99':>7}")
    for name, figures in history["queries"].items():
        print(f"{name:<26} {figures['p50']:>7.2f} {figures['p99']:>7.2f}")


if __name__ == "__main__":
    main()
