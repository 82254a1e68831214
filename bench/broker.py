"""Mosquitto with the plugin against the same Mosquitto with no plugin and anonymous access.

Measures, in one run:
- messages/second end to end at QoS 0 and QoS 1 (mosquitto_pub -l -> broker -> mosquitto_sub),
- CONNECTs/second: returning clients (verified inside the broker from its credential cache)
  against anonymous ones, and first CONNECTs (one HTTP round trip and a password hash each).
Each figure is the median of three runs. The broker's CPU use (% of one core) is shown beside it:
the load generators (Mosquitto's C clients; bench/loadgen in Go for CONNECTs) share the machine's
cores with the broker, so on 2 cores the broker peaks near 60-70% of one core.

Run: .venv/bin/python bench/broker.py [--messages 100000] [--smoke]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import Client  # noqa: E402
from tests.support.processes import Broker, Service, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QOS1_MAX = 60000
ROUNDS = 3  # mosquitto_pub -l -q 1 silently delivers fewer past 65,535 in flight


def median_of(rounds: int, measure) -> tuple:
    """The run with the median rate out of `rounds` runs (one run on a busy 2-core box is noisy)."""
    results = sorted((measure() for _ in range(rounds)), key=lambda result: result[0])
    return results[len(results) // 2]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_broker(directory: Path) -> tuple:
    port = free_port()
    config = directory / "bare.conf"
    config.write_text(
        f"per_listener_settings false\nallow_anonymous true\nmax_queued_messages 100000\n"
        f"max_queued_bytes 67108864\nmax_inflight_messages 100\nlog_dest none\n"
        f"listener {port} 127.0.0.1\nsocket_domain ipv4\n"
    )
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, port


def pubsub(port: int, pid: int, qos: int, count: int, auth: list) -> tuple:
    """Messages/second from one mosquitto_pub to one mosquitto_sub, and the broker's CPU %."""
    topic = "bench/throughput"
    subscriber = subprocess.Popen(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", str(qos), "-C", str(count),
         "-W", "120", "-i", f"bench-sub-{qos}", *auth], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    lines = (b"x" * 63 + b"\n") * count
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", str(qos), "-l",
                    "-i", f"bench-pub-{qos}", *auth], input=lines, check=True)
    received = subscriber.stdout.read().count(b"\n")
    subscriber.wait()
    elapsed = time.perf_counter() - started
    return received / elapsed, 100 * (cpu_seconds(pid) - cpu_before) / elapsed, received


def connects(port: int, pid: int, count: int, userfile: Path = None) -> tuple:
    args = [str(ROOT / "bench" / "loadgen" / "loadgen"), "-addr", f"127.0.0.1:{port}", "-n", str(count), "-c", "32"]
    if userfile:
        args += ["-userfile", str(userfile)]
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    result = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    elapsed = time.perf_counter() - started
    return result["per_second"], 100 * (cpu_seconds(pid) - cpu_before) / elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--connects", type=int, default=20000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round: check that the benchmark runs")
    options = parser.parse_args()
    rounds, returning_users, fresh_users = ROUNDS, 50, 300
    if options.smoke:
        options.messages, options.connects, rounds, returning_users, fresh_users = 2000, 200, 1, 5, 10
    subprocess.run(["go", "build", "-o", "loadgen", "."], cwd=ROOT / "bench" / "loadgen", check=True)

    work = Path(tempfile.mkdtemp(prefix="cloudsignal-bench-"))
    service = Service({"CLOUDSIGNAL_SQLITE_PATH": str(work / "events.sqlite"), "CLOUDSIGNAL_TENANCY": "single"},
                      log_dir=work)
    broker = Broker(service.internal_url)
    service.env.update({"CLOUDSIGNAL_BROKER_SECRET": broker.secret, "CLOUDSIGNAL_BROKER_PORT": str(broker.port),
                        "CLOUDSIGNAL_MAX_USERS": "100000"})
    key = json.loads(service.admin("init", "--json").stdout)["key"]
    broker.start()
    service.start()
    bare, bare_port = bare_broker(work)
    rows = []
    try:
        api = Client(service.url, key)
        api.post("/v2/acl/rules", json={"topic": "bench/#", "action": "both", "permission": "allow"})
        returning, fresh = work / "returning.txt", work / "fresh.txt"
        for path, prefix, number in ((returning, "returning", returning_users), (fresh, "fresh", fresh_users)):
            lines = []
            for n in range(number):
                reply = api.post("/v2/users", json={"username": f"{prefix}-{n}", "password": "bench-password"})
                lines.append(f"{reply.json()['mqtt_username']} bench-password")
            path.write_text("\n".join(lines) + "\n")
        auth = ["-u", returning.read_text().split()[0], "-P", "bench-password"]

        for qos, count in ((0, options.messages), (1, min(options.messages, QOS1_MAX))):
            with_plugin = median_of(rounds, lambda: pubsub(broker.port, broker.process.pid, qos, count, auth))
            without = median_of(rounds, lambda: pubsub(bare_port, bare.pid, qos, count, []))
            rows.append((f"QoS {qos} messages/s ({count:,} sent)", with_plugin, without))

        connects(broker.port, broker.process.pid, 4 * returning_users, returning)  # first CONNECTs fill the cache
        with_plugin = median_of(rounds, lambda: connects(broker.port, broker.process.pid, options.connects, returning))
        without = median_of(rounds, lambda: connects(bare_port, bare.pid, options.connects))
        rows.append(("CONNECTs/s returning vs anonymous", with_plugin, without))
        first = connects(broker.port, broker.process.pid, fresh_users, fresh)
        rows.append(("first CONNECTs/s (HTTP + argon2)", first, None))
    finally:
        bare.terminate()
        service.stop()
        broker.remove()

    print(f"\n{'scenario':<36} {'plugin':>10} {'cpu%':>5} {'bare':>10} {'cpu%':>5} {'ratio':>6}")
    for name, plugin, baseline in rows:
        line = f"{name:<36} {plugin[0]:>10,.0f} {plugin[1]:>5.0f}"
        if baseline:
            line += f" {baseline[0]:>10,.0f} {baseline[1]:>5.0f} {plugin[0] / baseline[0]:>6.2f}"
        print(line)
        for result in (plugin, baseline):
            if result and isinstance(result[2], dict) and (result[2]["refused"] or result[2]["failed"]):
                print(f"  note: {result[2]['refused']} refused, {result[2]['failed']} failed")


if __name__ == "__main__":
    main()
