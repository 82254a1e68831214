"""Real processes for tests and benchmarks: a throwaway PostgreSQL cluster and the service."""

import glob
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


_handed_out: set = set()  # never the same port twice in one test session


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range, so that no outgoing connection
    takes it between now and the moment our server binds it."""
    low = 10000
    try:
        ephemeral_start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_start = 32768
    while True:
        port = random.randrange(low, max(low + 1000, ephemeral_start))
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port


def _as_postgres(args: List[str]) -> List[str]:
    """PostgreSQL refuses to run as root; run its tools as the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresCluster:
    """initdb in a temporary folder, served on a free loopback port, removed at stop."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL server binaries not found; run 'make deps'")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="cloudsignal-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> "PostgresCluster":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        subprocess.run(
            _as_postgres([str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        return self.resume()

    def pause(self) -> None:
        """Stop the server, keeping its data (a database outage)."""
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"]),
            check=True, stdout=subprocess.DEVNULL,
        )

    def resume(self) -> "PostgresCluster":
        """Start the server on its data and port."""
        data = self.dir / "data"
        # 300 connections: the edge tests open 200 live streams at once, each request on its own
        # thread of the stream instance, beside the whole test session's services
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        return self

    def create_database(self, name: str) -> str:
        """A new empty database; returns its DATABASE_URL."""
        subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q",
             "-c", f'CREATE DATABASE "{name}"'],
            check=True, stdout=subprocess.DEVNULL,
        )
        return f"{self.url}/{name}"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


class Service:
    """The CloudSignal service under gunicorn, as `make run` serves it, on free ports: the public
    API at `url` and, when the broker is integrated (a broker secret is set at start) or
    `internal=True`, the broker's endpoints at `internal_url` (a second gunicorn instance, role
    `internal`). Both share one metrics folder, kept across restarts of the service."""

    def __init__(self, env: Dict[str, str], workers: Optional[int] = 1, log_dir: Optional[Path] = None,
                 internal: Optional[bool] = None, internal_workers: Optional[int] = 1, streams: bool = False):
        """`workers=None` keeps gunicorn.conf.py's choice (likewise `internal_workers`).
        `streams=True` adds the `stream` instance (live event streams, at `stream_url`), which
        the edge (class Edge) sends /v2/events/stream to."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.internal_port = free_port()
        self.internal_url = f"http://127.0.0.1:{self.internal_port}"
        self.stream_port = free_port()
        self.stream_url = f"http://127.0.0.1:{self.stream_port}"
        self.streams = streams
        self.metrics_dir = Path(tempfile.mkdtemp(prefix="cloudsignal-metrics-"))
        self.env = {
            **os.environ,
            "CLOUDSIGNAL_BIND": f"127.0.0.1:{self.port}",
            "CLOUDSIGNAL_INTERNAL_BIND": f"127.0.0.1:{self.internal_port}",
            "CLOUDSIGNAL_STREAM_BIND": f"127.0.0.1:{self.stream_port}",
            "CLOUDSIGNAL_METRICS_DIR": str(self.metrics_dir),
            "CLOUDSIGNAL_ACCESS_LOG": "",
            **({"CLOUDSIGNAL_WORKERS": str(workers)} if workers else {}),
            **({"CLOUDSIGNAL_INTERNAL_WORKERS": str(internal_workers)} if internal_workers else {}),
            **env,
        }
        self.env.pop("CLOUDSIGNAL_ROLE", None)
        self.internal = internal
        self.log_path = (log_dir or Path(tempfile.gettempdir())) / f"cloudsignal-service-{self.port}.log"
        self.process: Optional[subprocess.Popen] = None  # the public instance
        self.internal_process: Optional[subprocess.Popen] = None
        self.stream_process: Optional[subprocess.Popen] = None

    @property
    def with_internal(self) -> bool:
        if self.internal is not None:
            return self.internal
        return bool(self.env.get("CLOUDSIGNAL_BROKER_SECRET") or self.env.get("CLOUDSIGNAL_BROKER_SECRET_FILE"))

    def _spawn(self, role: str) -> subprocess.Popen:
        log = open(self.log_path, "ab")
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env={**self.env, "CLOUDSIGNAL_ROLE": role}, stdout=log, stderr=subprocess.STDOUT,
        )

    def start(self, timeout: float = 30) -> "Service":
        self.process = self._spawn("public")
        waiting = [(self.process, self.url)]
        if self.with_internal:
            self.internal_process = self._spawn("internal")
            waiting.append((self.internal_process, self.internal_url))
        if self.streams:
            self.stream_process = self._spawn("stream")
            waiting.append((self.stream_process, self.stream_url))
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            process, url = waiting[0]
            if process.poll() is not None:
                self.stop()
                raise RuntimeError(f"service exited at start; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/healthz", timeout=5).ok:
                    waiting.pop(0)
                    continue
            except requests.RequestException:  # not listening yet, or too busy booting to answer
                pass
            time.sleep(0.1)
        if not waiting:
            return self
        self.stop()  # do not leave a half-started service behind
        raise RuntimeError(f"service did not answer within {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        for process in (self.process, self.internal_process, self.stream_process):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.process, self.internal_process, self.stream_process):
            if process and process.returncode is None:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def wait_caught_up(self, timeout: float = 5.0) -> None:
        """Wait until the read model has followed the log to its end: `/readyz` shows no lag on a
        few answers in a row (with several workers, each answer may come from another)."""
        deadline, in_a_row = time.monotonic() + timeout, 0
        while in_a_row < 4:
            lag = requests.get(f"{self.url}/readyz", timeout=2).json()["checks"].get("read_model_lag")
            in_a_row = in_a_row + 1 if lag == 0 else 0
            if time.monotonic() > deadline:
                raise AssertionError(f"read model still behind after {timeout}s")
            time.sleep(0.01)

    def admin(self, *args: str) -> subprocess.CompletedProcess:
        """Run `cloudsignal-server` against this service's store. After a command that succeeded,
        wait until the running service has read what it wrote (another process sees an event
        on its next poll), so that a test acts on the state the command made."""
        result = subprocess.run(
            [str(BIN / "cloudsignal-server"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode == 0 and self.process and self.process.poll() is None:
            self.wait_caught_up()
        return result


class Broker:
    """Debian's mosquitto with our plugin and a rendered config, on free ports."""

    def __init__(self, service_url: str, tls_dir: Optional[Path] = None):
        from app.broker.mosquitto_conf import BrokerSettings

        # mosquitto drops to its own user: the folder must be reachable by it, unlike pytest's tmp
        directory = Path(tempfile.mkdtemp(prefix="cloudsignal-broker-"))
        directory.chmod(0o755)
        self.settings = BrokerSettings(
            directory=directory, service_url=service_url, mqtt_port=free_port(), ws_port=free_port(),
            tls_port=free_port() if tls_dir else None, tls_dir=tls_dir, log_to_file=True,
        )
        self.process: Optional[subprocess.Popen] = None

    @property
    def port(self) -> int:
        return self.settings.mqtt_port

    @property
    def secret_path(self) -> Path:
        return self.settings.secret_path

    @property
    def secret(self) -> str:
        from app.broker.mosquitto_conf import ensure_secret

        return ensure_secret(self.settings.secret_path)

    def start(self, timeout: float = 10) -> "Broker":
        from app.broker.mosquitto_conf import render

        config = render(self.settings)
        self.process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = self.process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"mosquitto exited at start:\n{errors}\n{self.log()[-3000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen within {timeout}s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        path = self.settings.log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """A crash: no clean shutdown, so nothing since the last autosave reaches the persistence file."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.settings.directory, ignore_errors=True)


class Edge:
    """Debian's nginx with the deployment's edge configuration (deploy/edge), on free ports, in
    front of a Service (its public and, when it has one, stream instance) and, optionally, a
    Broker's WebSockets listener: `url` (http), `ws_url`; with `tls_dir`, `https_url`, `wss_url`.
    The service must trust the one hop: start it with CLOUDSIGNAL_TRUSTED_PROXIES=1."""

    def __init__(self, service: "Service", broker: Optional["Broker"] = None, tls_dir: Optional[Path] = None,
                 workers: int = 1):
        self.dir = Path(tempfile.mkdtemp(prefix="cloudsignal-edge-"))
        self.dir.chmod(0o755)  # nginx's workers (www-data when root) create temporary files in it
        self.http_port, self.ws_port = free_port(), free_port()
        self.https_port = free_port() if tls_dir else None
        self.wss_port = free_port() if tls_dir else None
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.ws_url = f"ws://127.0.0.1:{self.ws_port}/mqtt"
        self.https_url = f"https://127.0.0.1:{self.https_port}" if tls_dir else None
        self.wss_url = f"wss://127.0.0.1:{self.wss_port}/mqtt" if tls_dir else None
        self.service, self.broker, self.tls_dir, self.workers = service, broker, tls_dir, workers
        self.process: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 10) -> "Edge":
        sys.path.insert(0, str(ROOT / "deploy" / "edge"))
        try:
            import render as edge_render  # deploy/edge/render.py
        finally:
            sys.path.pop(0)
        streams = f"127.0.0.1:{self.service.stream_port}" if self.service.streams else f"127.0.0.1:{self.service.port}"
        mqtt_ws = f"127.0.0.1:{self.broker.settings.ws_port}" if self.broker else f"127.0.0.1:{free_port()}"
        config = edge_render.render(
            self.dir, api=f"127.0.0.1:{self.service.port}", streams=streams, mqtt_ws=mqtt_ws,
            http=f"127.0.0.1:{self.http_port}", ws=f"127.0.0.1:{self.ws_port}", tls_dir=self.tls_dir,
            https=f"127.0.0.1:{self.https_port}" if self.tls_dir else None,
            wss=f"127.0.0.1:{self.wss_port}" if self.tls_dir else None, worker_processes=str(self.workers))
        self.config = config
        self.process = subprocess.Popen(edge_render.command(config), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited at start:\n{self.process.stderr.read().decode(errors='replace')}"
                                   f"\n{self.log()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.http_port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx: graceful stop
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server on a free loopback port: the shared rate-limit store in tests."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
