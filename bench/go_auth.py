"""Stock mosquitto-go-auth against the service: what a go-auth user gets.

1. `/internal/go-auth/user` checks/s for returning users through the real gunicorn service (the
   internal instance), with the verified-credential cache (the default) and without it
   (CLOUDSIGNAL_VERIFIED_CACHE_SIZE=0: every check runs Argon2id), go-auth's exact request shape
   (JSON body, Basic auth from the URL's userinfo).
2. When a go-auth plugin is at hand (built by you from its public source as its own README says;
   `--plugin PATH`, default var/go-auth/go-auth.so; nothing of go-auth is in this repository): Mosquitto with
   stock go-auth (its own cache off, broker-config/go-auth.conf) against the service, returning-
   user CONNECTs/s with bench/loadgen (goal: at least 1,000/s), beside a bare Mosquitto; then a
   service outage (stop the service, try CONNECTs, start it again) and a check that the broker
   secret is in neither Mosquitto's log nor go-auth's output (stderr).

Run: .venv/bin/python bench/go_auth.py [--checks 2000] [--connects 10000] [--users 50] [--smoke]
"""

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Tuple

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import Client  # noqa: E402
from tests.support.processes import Service, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GO_AUTH_SO = ROOT / "var" / "go-auth" / "go-auth.so"
LOADGEN = ROOT / "bench" / "loadgen"
USERS = 50


def internal_url(service: Service) -> str:
    return getattr(service, "internal_url", service.url)


def start_service(work: Path, secret: str, cache: bool) -> Tuple[Service, str]:
    env = {"CLOUDSIGNAL_SQLITE_PATH": str(work / "events.sqlite"), "CLOUDSIGNAL_TENANCY": "single",
           "CLOUDSIGNAL_BROKER_SECRET": secret, "CLOUDSIGNAL_BROKER_PORT": str(free_port())}
    if not cache:
        env["CLOUDSIGNAL_VERIFIED_CACHE_SIZE"] = "0"
    service = Service(env, log_dir=work)
    init = service.admin("init", "--json")
    key = json.loads(init.stdout)["key"] if init.returncode == 0 else ""
    return service.start(), key


def user_checks(url: str, secret: str, users: List[str], total: int, threads: int = 8) -> float:
    """go-auth user checks per second, `threads` in parallel (go-auth is called from Mosquitto's
    one thread, but many brokers or bursts overlap), over returning users."""
    auth = "Basic " + base64.b64encode(f"go-auth:{secret}".encode()).decode()
    headers = {"Content-Type": "application/json", "User-Agent": "mosquitto-2.0.11", "Authorization": auth}
    per_thread = max(1, total // threads)
    failures: List[int] = []

    def run(offset: int) -> None:
        session = requests.Session()
        for n in range(per_thread):
            username = users[(offset + n) % len(users)]
            body = json.dumps({"clientid": f"c{n}", "password": "bench-password", "username": username},
                              separators=(",", ":"))
            reply = session.post(f"{url}/internal/go-auth/user", data=body, headers=headers, timeout=30)
            if reply.status_code != 200:
                failures.append(reply.status_code)

    for user in users:  # first checks: Argon2 once per user and worker
        run_once = requests.post(f"{url}/internal/go-auth/user", headers=headers, timeout=30, data=json.dumps(
            {"clientid": "warm", "password": "bench-password", "username": user}))
        assert run_once.status_code == 200, run_once.text
    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i * 7,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[:5]
    return per_thread * threads / elapsed


def make_users(api: Client, count: int) -> List[str]:
    names = []
    for n in range(count):
        reply = api.post("/v2/users", json={"username": f"returning-{n}", "password": "bench-password"})
        assert reply.status_code == 201, reply.text
        names.append(reply.json()["mqtt_username"])
    return names


def loadgen(port: int, count: int, userfile: Path = None) -> Dict:
    args = [str(LOADGEN / "loadgen"), "-addr", f"127.0.0.1:{port}", "-n", str(count), "-c", "32"]
    if userfile:
        args += ["-userfile", str(userfile)]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def go_auth_broker(work: Path, service_port: int, secret: str, plugin: Path) -> Tuple[subprocess.Popen, int, Path, Path]:
    """Mosquitto with stock go-auth configured from broker-config/go-auth.conf."""
    port = free_port()
    log, stderr = work / "mosquitto.log", work / "mosquitto.stderr"
    for path in (log, stderr):
        path.touch()
        path.chmod(0o666)
    lines = []
    for line in (ROOT / "broker-config" / "go-auth.conf").read_text().splitlines():
        if line.startswith("auth_plugin "):
            line = f"auth_plugin {plugin}"
        elif line.startswith("auth_opt_http_port "):
            line = f"auth_opt_http_port {service_port}"
        lines.append(line.replace("BROKER_SECRET", secret))
    config = work / "go-auth-mosquitto.conf"
    config.write_text(
        f"per_listener_settings false\nallow_anonymous false\nlog_dest file {log}\nlog_type all\n"
        f"listener {port} 127.0.0.1\nsocket_domain ipv4\n" + "\n".join(lines) + "\n")
    config.chmod(0o644)
    work.chmod(0o755)
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=open(stderr, "ab"), stderr=subprocess.STDOUT)
    time.sleep(1.0)
    if process.poll() is not None:
        raise RuntimeError(f"mosquitto with go-auth exited:\n{stderr.read_text()}\n{log.read_text()}")
    return process, port, log, stderr


def bare_broker(work: Path) -> Tuple[subprocess.Popen, int]:
    port = free_port()
    config = work / "bare.conf"
    config.write_text(f"allow_anonymous true\nlog_dest none\nlistener {port} 127.0.0.1\nsocket_domain ipv4\n")
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--connects", type=int, default=10000)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for make test (no figures)")
    parser.add_argument("--plugin", type=Path, default=GO_AUTH_SO, help="a go-auth plugin you built (go-auth.so)")
    options = parser.parse_args()
    if options.smoke:
        options.checks, options.connects, options.users = 80, 200, 4
    import secrets

    secret = secrets.token_urlsafe(32)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="cloudsignal-bench-go-auth-"))

    # 1. /internal/go-auth/user, returning users, with and without the verified-credential cache
    results = {}
    for cache in (True, False):
        folder = work / ("cached" if cache else "uncached")
        folder.mkdir()
        service, key = start_service(folder, secret, cache)
        try:
            users = make_users(Client(service.url, key), options.users)
            total = options.checks if cache else max(16, options.checks // 20)
            results[cache] = user_checks(internal_url(service), secret, users, total)
        finally:
            service.stop()
    rows.append(("go-auth user checks/s, returning users (8 in parallel)", results[True], results[False],
                 "cache on / Argon2 every time"))

    # 2. Mosquitto + stock go-auth, if built
    if not options.plugin.exists():
        rows.append(("Mosquitto + go-auth returning CONNECTs/s", None, None,
                     f"skipped: {options.plugin} missing (build go-auth yourself; --plugin PATH)"))
    else:
        subprocess.run(["go", "build", "-o", "loadgen", "."], cwd=LOADGEN, check=True)
        folder = work / "broker"
        folder.mkdir()
        service, key = start_service(folder, secret, cache=True)
        service_port = int(internal_url(service).rsplit(":", 1)[1])
        users = make_users(Client(service.url, key), options.users)
        userfile = folder / "users.txt"
        userfile.write_text("".join(f"{user} bench-password\n" for user in users))
        broker, port, log, stderr = go_auth_broker(folder, service_port, secret, options.plugin)
        bare, bare_port = bare_broker(folder)
        try:
            loadgen(port, options.users * 4, userfile)  # first CONNECTs: Argon2 once per user and worker
            with_go_auth = loadgen(port, options.connects, userfile)
            without = loadgen(bare_port, options.connects)
            rows.append(("Mosquitto + go-auth returning CONNECTs/s (go-auth cache off)",
                         with_go_auth["per_second"], without["per_second"],
                         f"vs bare; accepted {with_go_auth['accepted']}, refused {with_go_auth['refused']}; "
                         f"goal >= 1,000/s"))
            # the outage: stop the service, try CONNECTs (refused: fail closed), start it again
            service.stop()
            during = loadgen(port, 20, userfile)
            service.start()
            after = loadgen(port, 20, userfile)
            logged = log.read_text(errors="replace") + stderr.read_text(errors="replace")
            leaked = secret in logged
            errors = [line for line in logged.splitlines() if "http request error" in line]
            rows.append(("service outage: CONNECTs accepted during / after", during["accepted"], after["accepted"],
                         f"{len(errors)} go-auth error lines; secret in broker log: {'YES' if leaked else 'no'}"))
            if errors:
                print("go-auth's error line:", errors[0])
            assert during["accepted"] == 0 and after["accepted"] == 20
            assert errors, "the outage produced no go-auth error line: nothing was checked"
            assert not leaked, "the broker secret is in the broker's log"
        finally:
            for process in (broker, bare):
                process.terminate()
                process.wait(10)
            service.stop()

    print(f"{'measure':62} {'value':>10} {'baseline':>10}  note")
    for name, value, baseline, note in rows:
        show = (lambda v: "-" if v is None else f"{v:,.0f}")
        print(f"{name:62} {show(value):>10} {show(baseline):>10}  {note}")


if __name__ == "__main__":
    main()
