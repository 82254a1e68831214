"""CONNECT storms against Mosquitto with the plugin, and the same against a bare Mosquitto.

In one run, with the settings a user gets by default (SQLite store, gunicorn as configured,
single tenancy):
- fresh users: N users created through the API after the broker started, all connecting for the
  first time at once (bench/loadgen -mode hold, one persistent connection each); first CONNECTs/s;
- broker restart (same persistence folder): time from the restart until all N are connected
  again, and the round trip of a probe client publishing to itself (QoS 1) meanwhile;
- service restart (the broker keeps running): the service is stopped and started, then every
  client is dropped at once and reconnects; time until all are back, probe round trip;
- the baseline: a bare Mosquitto (no plugin, anonymous, persistence on) with the same N clients,
  the same restart and the same drop, measured in the same run;
- a wrong-password flood (-mode rate, 500 attempts/s for a few seconds) against one user: the
  probe's round trip meanwhile, whether the right password from another source address
  (127.0.0.2) still connects, and the refusal time of unknown usernames vs known usernames with a
  wrong password (medians; each attempt from its own address and username, so the first refusal
  is what is timed);
- the public API held by 16 slow sockets (half a request line each): CONNECT decisions (the
  service's /internal/broker/authenticate, and first CONNECTs over MQTT) held vs not held.

The clients are reconnecting devices: each reconnects after a jittered delay (uniform in
[0, 250 ms], doubling per failed attempt up to 2 s), like an SDK's backoff.

Run: .venv/bin/python bench/storm.py [--clients 10000] [--flood-seconds 5] [--smoke]
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.application import DEFAULT_QUOTAS  # noqa: E402
from tests.support.processes import Broker, PostgresCluster, Service, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOADGEN = ROOT / "bench" / "loadgen" / "loadgen"
PASSWORD = "storm-password-0123456789"
HELD_SOCKETS = 16


# -- raw MQTT 3.1.1 CONNECT, timed ------------------------------------------------------------

def _string(value: str) -> bytes:
    data = value.encode()
    return len(data).to_bytes(2, "big") + data


def connect_packet(client_id: str, username: Optional[str], password: Optional[str]) -> bytes:
    flags, payload = 0x02, _string(client_id)
    if username is not None:
        flags |= 0xC0
        payload += _string(username) + _string(password or "")
    body = _string("MQTT") + bytes([4, flags, 0, 30]) + payload
    length, encoded = len(body), b""
    while True:
        digit, length = length % 128, length // 128
        encoded += bytes([digit | (0x80 if length else 0)])
        if not length:
            break
    return b"\x10" + encoded + body


def mqtt_connect(port: int, username: Optional[str], password: Optional[str], source: str = "127.0.0.1",
                 timeout: float = 10) -> Tuple[int, float]:
    """CONNECT and wait for CONNACK; (return code or -1 on a network error, seconds)."""
    started = time.perf_counter()
    try:
        with socket.socket() as sock:
            sock.settimeout(timeout)
            sock.bind((source, 0))
            sock.connect(("127.0.0.1", port))
            sock.sendall(connect_packet(f"timed-{uuid.uuid4().hex[:10]}", username, password))
            data = b""
            while len(data) < 4:
                chunk = sock.recv(4 - len(data))
                if not chunk:
                    return -1, time.perf_counter() - started
                data += chunk
            elapsed = time.perf_counter() - started
            if data[3] == 0:
                sock.sendall(b"\xe0\x00")
            return data[3], elapsed
    except OSError:
        return -1, time.perf_counter() - started


# -- the clients --------------------------------------------------------------------------------

class Hold:
    """bench/loadgen -mode hold: one persistent, reconnecting connection per client."""

    def __init__(self, port: int, prefix: str, userfile: Optional[Path] = None, count: int = 0):
        args = [str(LOADGEN), "-mode", "hold", "-addr", f"127.0.0.1:{port}", "-prefix", prefix]
        args += ["-userfile", str(userfile)] if userfile else ["-n", str(count)]
        self.started = time.time()
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.changed = threading.Condition()
        self.all_at: List[float] = []
        self.status: Dict[str, float] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            event = json.loads(line)
            with self.changed:
                if event["event"] == "all":
                    self.all_at.append(event["t"])
                elif event["event"] == "status":
                    self.status = event
                self.changed.notify_all()

    def wait_all(self, after: float, timeout: float) -> Optional[float]:
        """The moment all were connected (again) after `after`, or None."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                later = [moment for moment in self.all_at if moment >= after]
                if later:
                    return later[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(min(remaining, 1))

    def drop_all(self) -> None:
        self.process.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


class Probe:
    """A client that publishes to itself at QoS 1, one message at a time, and records round trips."""

    def __init__(self, port: int, username: Optional[str], password: Optional[str], topic: str):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.topic, self.samples = topic, []  # (sent at, seconds)
        self.arrived, self.ready, self.running = threading.Event(), threading.Event(), True
        self.token, self.disconnects = "", 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv311)
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(0.05, 0.5)
        self.client.on_connect = lambda c, u, f, reason, p: c.subscribe(topic, qos=1) if not reason.is_failure else None
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.ready.set()
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        self.ready.wait(30)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _on_disconnect(self, *args) -> None:
        self.ready.clear()
        self.disconnects += 1

    def _on_message(self, client, userdata, message) -> None:
        if message.payload.decode() == self.token:
            self.arrived.set()

    def _run(self) -> None:
        number = 0
        while self.running:
            if not self.ready.wait(0.1):
                continue
            number += 1
            self.token, disconnects = str(number), self.disconnects
            self.arrived.clear()
            sent_at, started = time.time(), time.perf_counter()
            self.client.publish(self.topic, self.token, qos=1)
            arrived = self.arrived.wait(30)
            if arrived and self.disconnects == disconnects:  # a round trip cut by a restart is not one
                self.samples.append((sent_at, time.perf_counter() - started))
            time.sleep(0.005)

    def window(self, start: float, end: float) -> List[float]:
        return [seconds for sent_at, seconds in list(self.samples) if start <= sent_at <= end]

    def stop(self) -> None:
        self.running = False
        self.client.loop_stop()
        self.client.disconnect()


def percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bare_broker(directory: Path) -> Tuple[List[str], int, Path]:
    """Mosquitto with no plugin, anonymous, persistence on, the same queue settings as ours."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "mosquitto")
    port = free_port()
    config = directory / "bare.conf"
    config.write_text(
        f"per_listener_settings false\nallow_anonymous true\npersistence true\npersistence_location {directory}/\n"
        f"max_queued_messages 100000\nmax_queued_bytes 67108864\nmax_inflight_messages 100\nlog_dest none\n"
        f"listener {port} 127.0.0.1\nsocket_domain ipv4\n"
    )
    return ["mosquitto", "-c", str(config)], port, config


class BareBroker:
    def __init__(self, directory: Path):
        self.command, self.port, _ = bare_broker(directory)
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> "BareBroker":
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.02)
        raise RuntimeError("bare mosquitto did not listen")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)


# -- the run ----------------------------------------------------------------------------------

def create_users(service: Service, key: str, names: List[str]) -> Dict[str, str]:
    """POST /v2/users for each name (8 at a time); returns name -> MQTT username."""
    local = threading.local()

    def create(name: str) -> Tuple[str, str]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {key}"
        for attempt in range(5):
            reply = local.session.post(f"{service.url}/v2/users", json={"username": name, "password": PASSWORD},
                                       timeout=60)
            if reply.status_code == 201:
                return name, reply.json()["mqtt_username"]
            time.sleep(0.5 * (attempt + 1))
        raise RuntimeError(f"POST /v2/users {name}: {reply.status_code} {reply.text[:200]}")

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(create, names))


def hold_public_api(url: str) -> List[socket.socket]:
    host, port = url.removeprefix("http://").split(":")
    held = []
    for n in range(HELD_SOCKETS):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(b"GET /v2/organization?held=%d HTTP/1.1\r\nHost: " % n)
        held.append(sock)
    return held


def decision_latencies(service: Service, secret: str, usernames: List[str]) -> List[float]:
    """The service's CONNECT decision (/internal/broker/authenticate, as the plugin calls it on a miss)."""
    session, latencies = requests.Session(), []
    for username in usernames:
        started = time.perf_counter()
        reply = session.post(f"{service.internal_url}/internal/broker/authenticate", timeout=10,
                             json={"username": username, "password": PASSWORD, "clientid": f"d-{username}"},
                             headers={"Authorization": f"Bearer {secret}"})
        latencies.append(time.perf_counter() - started)
        assert reply.json()["result"] == "allow", reply.text
    return latencies


def ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value * 1000:,.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", "-n", type=int, default=10000, help="N devices (distinct users)")
    parser.add_argument("--flood-seconds", type=float, default=5)
    parser.add_argument("--flood-rate", type=float, default=500)
    parser.add_argument("--timing-samples", type=int, default=30, help="refusals timed per kind")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite",
                        help="sqlite: as `make run` (the default); postgres: as Compose")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that the benchmark runs")
    options = parser.parse_args()
    if options.smoke:
        options.clients, options.flood_seconds, options.timing_samples = 20, 1, 5
    n = options.clients
    samples = options.timing_samples
    subprocess.run(["go", "build", "-o", "loadgen", "."], cwd=ROOT / "bench" / "loadgen", check=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the brokers and loadgen inherit it
    if hard < 2 * n + 1000:
        print(f"warning: {hard} open files at most; {n} clients need about {n + 500} per process", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="cloudsignal-storm-"))
    work.chmod(0o755)
    cluster = PostgresCluster().start() if options.store == "postgres" else None
    store_env = ({"DATABASE_URL": cluster.create_database("storm")} if cluster
                 else {"CLOUDSIGNAL_SQLITE_PATH": str(work / "events.sqlite")})
    notes = []
    env = {**store_env, "CLOUDSIGNAL_TENANCY": "single"}
    extra_users = 3 + 2 * samples + 2 * samples  # probe, flood target, timing, held/not-held first CONNECTs
    for quota in ("max_users", "max_connections"):  # the only settings changed, and only when N needs it
        if n + extra_users > DEFAULT_QUOTAS[quota]:
            env[f"CLOUDSIGNAL_{quota.upper()}"] = str(n + extra_users + 100)
            notes.append(f"{quota} raised from its default {DEFAULT_QUOTAS[quota]:,} to {n + extra_users + 100:,} for N")
    service = Service(env, workers=None, internal_workers=None, log_dir=work)
    broker = Broker(service.internal_url)
    service.env.update({"CLOUDSIGNAL_BROKER_SECRET": broker.secret,
                        "CLOUDSIGNAL_BROKER_PORT": str(broker.port)})
    init = service.admin("init", "--json")
    if init.returncode != 0:
        raise SystemExit(init.stderr)
    key = json.loads(init.stdout)["key"]
    bare = BareBroker(work / "bare")
    holds: List[Hold] = []
    probes: List[Probe] = []
    rows: List[Tuple[str, str, str, str]] = []
    timeout = max(120.0, n / 20)
    try:
        broker.start()
        service.start()
        bare.start()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"
        rule = api.post(f"{service.url}/v2/acl/rules", timeout=10,
                        json={"topic": "probe/{username}", "action": "both", "permission": "allow"})
        assert rule.status_code == 201, rule.text
        started = time.perf_counter()
        print(f"creating {n:,} users through the API...", file=sys.stderr)
        users = create_users(service, key, [f"dev-{i}" for i in range(n)] + ["probe", "flood-target"]
                             + [f"known-{i}" for i in range(samples)] + [f"held-{i}" for i in range(samples)]
                             + [f"free-{i}" for i in range(samples)])
        created_in = time.perf_counter() - started
        userfile = work / "devices.txt"
        userfile.write_text("".join(f"{users[f'dev-{i}']} {PASSWORD}\n" for i in range(n)))

        # Fresh users: all N connect for the first time, at once
        print("fresh users connecting...", file=sys.stderr)
        plugin_hold = Hold(broker.port, "storm", userfile)
        holds.append(plugin_hold)
        first = plugin_hold.wait_all(plugin_hold.started, timeout)
        bare_hold = Hold(bare.port, "storm", count=n)
        holds.append(bare_hold)
        bare_first = bare_hold.wait_all(bare_hold.started, timeout)

        def rate(done: Optional[float], since: float) -> str:
            return f"{n / (done - since):,.0f}/s" if done else f"not all within {timeout:.0f} s"

        rows.append((f"first CONNECTs of {n:,} fresh API users", rate(first, plugin_hold.started),
                     rate(bare_first, bare_hold.started), "goal >= 1,000/s"))

        probe = Probe(broker.port, users["probe"], PASSWORD, "probe/probe")
        bare_probe = Probe(bare.port, None, None, "probe/bare")
        probes += [probe, bare_probe]
        time.sleep(1)
        quiet = time.time()
        time.sleep(1 if options.smoke else 5)
        rows.append(("probe round trip p50 / p99, quiet",
                     f"{ms(percentile(probe.window(quiet, time.time()), 0.5))} / "
                     f"{ms(percentile(probe.window(quiet, time.time()), 0.99))}",
                     f"{ms(percentile(bare_probe.window(quiet, time.time()), 0.5))} / "
                     f"{ms(percentile(bare_probe.window(quiet, time.time()), 0.99))}", ""))

        def storm(restart, hold: Hold, probe: Probe) -> Tuple[Optional[float], List[float]]:
            began = time.time()
            restart()
            back = hold.wait_all(began, timeout)
            return (back - began if back else None), probe.window(began, back or time.time())

        # Broker restart
        print("broker restart...", file=sys.stderr)
        plugin_back, plugin_rtts = storm(lambda: (broker.stop(), broker.start()), plugin_hold, probe)
        time.sleep(1)
        bare_back, bare_rtts = storm(lambda: (bare.stop(), bare.start()), bare_hold, bare_probe)

        def seconds(value: Optional[float]) -> str:
            return f"{value:,.2f} s" if value is not None else f"not all within {timeout:.0f} s"

        goal = f"goal <= {2 * bare_back + 1:.2f} s" if bare_back else ""
        rows.append((f"broker restart: all {n:,} back", seconds(plugin_back), seconds(bare_back), goal))
        rows.append(("  probe p99 meanwhile (samples)", f"{ms(percentile(plugin_rtts, 0.99))} ({len(plugin_rtts)})",
                     f"{ms(percentile(bare_rtts, 0.99))} ({len(bare_rtts)})", "goal < 50 ms"))

        # Service restart: the broker keeps running; then every client drops and comes back
        print("service restart...", file=sys.stderr)
        time.sleep(1)
        service.stop()
        service.start()
        plugin_back, plugin_rtts = storm(plugin_hold.drop_all, plugin_hold, probe)
        time.sleep(1)
        bare_back, bare_rtts = storm(bare_hold.drop_all, bare_hold, bare_probe)
        goal = f"goal <= {2 * bare_back + 1:.2f} s" if bare_back else ""
        rows.append((f"service restart, then all {n:,} drop: back", seconds(plugin_back), seconds(bare_back), goal))
        rows.append(("  probe p99 meanwhile (samples)", f"{ms(percentile(plugin_rtts, 0.99))} ({len(plugin_rtts)})",
                     f"{ms(percentile(bare_rtts, 0.99))} ({len(bare_rtts)})", "goal < 50 ms"))

        # Wrong-password flood against one user
        print("wrong-password flood...", file=sys.stderr)
        floodfile = work / "flood.txt"
        floodfile.write_text(f"{users['flood-target']} wrong-password\n")
        began = time.time()
        flood = subprocess.Popen([str(LOADGEN), "-mode", "rate", "-addr", f"127.0.0.1:{broker.port}",
                                  "-userfile", str(floodfile), "-rate", str(options.flood_rate),
                                  "-seconds", str(options.flood_seconds)], stdout=subprocess.PIPE, text=True)
        time.sleep(options.flood_seconds / 2)
        right_code, right_seconds = mqtt_connect(broker.port, users["flood-target"], PASSWORD, source="127.0.0.2")
        flooded = json.loads(flood.communicate()[0])
        flood_rtts = probe.window(began, time.time())
        rows.append((f"wrong-password flood, {options.flood_rate:.0f}/s for {options.flood_seconds:.0f} s: sent",
                     f"{flooded['per_second']:,.0f}/s, {flooded['refused']:,} refused, {flooded['accepted']} admitted, "
                     f"{flooded['failed'] + flooded['skipped']} failed", "-", ""))
        rows.append(("  refusal p50 / p99 during the flood", f"{flooded['p50_ms']:.1f} / {flooded['p99_ms']:.1f} ms", "-", ""))
        rows.append(("  probe p99 meanwhile (samples)", f"{ms(percentile(flood_rtts, 0.99))} ({len(flood_rtts)})", "-",
                     "goal < 50 ms"))
        rows.append(("  right password from 127.0.0.2",
                     ("connected" if right_code == 0 else f"refused (code {right_code})") + f" in {ms(right_seconds)}",
                     "-", "goal: connects"))

        # Unknown vs known usernames: first refusals, each from its own address
        org_id = users["probe"].split("@", 1)[1]
        unknown, known = [], []
        for i in range(samples):
            code, took = mqtt_connect(broker.port, f"ghost-{i}-{uuid.uuid4().hex[:6]}@{org_id}", "wrong-password",
                                      source=f"127.0.3.{i % 250 + 1}")
            unknown.append(took)
            code, took = mqtt_connect(broker.port, users[f"known-{i}"], "wrong-password", source=f"127.0.4.{i % 250 + 1}")
            known.append(took)
        unknown_median, known_median = statistics.median(unknown), statistics.median(known)
        rows.append((f"refusal median: unknown / known user ({samples} each)",
                     f"{ms(unknown_median)} / {ms(known_median)}", "-",
                     f"ratio {max(unknown_median, known_median) / min(unknown_median, known_median):.2f}, goal <= 1.20"))

        # The public API held by slow clients: CONNECT decisions
        print("public API held by slow sockets...", file=sys.stderr)
        secret = broker.secret
        free = decision_latencies(service, secret, [users[f"free-{i}"] for i in range(samples)])
        free_connects = [mqtt_connect(broker.port, users[f"free-{i}"], PASSWORD)[1] for i in range(samples)]
        held = hold_public_api(service.url)
        try:
            held_decisions = decision_latencies(service, secret, [users[f"held-{i}"] for i in range(samples)])
            held_results = [mqtt_connect(broker.port, users[f"held-{i}"], PASSWORD) for i in range(samples)]
            public_code, public_seconds = -1, 0.0
            try:
                started = time.perf_counter()
                public_code = requests.get(f"{service.url}/healthz", timeout=1 if options.smoke else 2).status_code
            except requests.RequestException:
                pass
            public_seconds = time.perf_counter() - started
        finally:
            for sock in held:
                sock.close()
        held_connects = [took for code, took in held_results]
        rows.append((f"public API held by {HELD_SOCKETS} slow sockets: GET /healthz",
                     f"answered {public_code} in {ms(public_seconds)}" if public_code > 0
                     else f"no answer within {ms(public_seconds)}", "-", "(shows the API is held)"))
        rows.append(("  CONNECT decision (HTTP) p50 / p99, held", f"{ms(percentile(held_decisions, 0.5))} / "
                     f"{ms(percentile(held_decisions, 0.99))}", "-", "goal p99 < 50 ms"))
        rows.append(("  CONNECT decision (HTTP) p50 / p99, not held", f"{ms(percentile(free, 0.5))} / "
                     f"{ms(percentile(free, 0.99))}", "-", ""))
        rows.append(("  first MQTT CONNECT p50 / p99, held",
                     f"{ms(percentile(held_connects, 0.5))} / {ms(percentile(held_connects, 0.99))}", "-",
                     f"{sum(1 for code, _ in held_results if code == 0)}/{samples} admitted while held"))
        rows.append(("  first MQTT CONNECT p50 / p99, not held",
                     f"{ms(percentile(free_connects, 0.5))} / {ms(percentile(free_connects, 0.99))}", "-", ""))
    finally:
        for item in (*probes, *holds):
            try:
                item.stop()
            except Exception:
                pass
        bare.stop()
        service.stop()
        broker.remove()
        if cluster:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nCONNECT storms: N = {n:,} devices (distinct API-created users), {options.store} store, "
          f"single tenancy, default settings; {n + extra_users:,} users created in {created_in:.0f} s")
    for note in notes:
        print(f"note: {note}")
    print(f"{'scenario':<58} {'plugin':>36} {'bare mosquitto':>22}  goal")
    for name, plugin, baseline, goal in rows:
        print(f"{name:<58} {plugin:>36} {baseline:>22}  {goal}")


if __name__ == "__main__":
    main()
