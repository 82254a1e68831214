"""Renders broker-config/mosquitto.conf for one deployment (make run, tests, benchmarks)."""

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "broker-config" / "mosquitto.conf"
PLUGIN = ROOT / "broker-config" / "plugin" / "cloudsignal_auth.so"

DEFAULT_MAX_PACKET_SIZE = 2 * 1024 * 1024  # Mosquitto 2.1's default; 2.0 has none


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


TLS_LISTENER = """
# MQTT over TLS
listener {tls_port} {bind_address}
socket_domain ipv4
cafile {tls_dir}/ca.crt
certfile {tls_dir}/server.crt
keyfile {tls_dir}/server.key
"""


@dataclass
class BrokerSettings:
    directory: Path  # holds the rendered config, persistence and the secret file
    service_url: str = "http://127.0.0.1:8080"
    mqtt_port: int = 1883
    ws_port: int = 9001
    tls_port: Optional[int] = None  # with `tls_dir` holding ca.crt, server.crt, server.key
    tls_dir: Optional[Path] = None
    bind_address: str = "127.0.0.1"
    internal_username: str = "cloudsignal-internal"
    log_to_file: bool = False  # data/broker.log instead of stdout (stdout is buffered when not a TTY)
    broker_name: Optional[str] = None  # several brokers: plugin_opt_broker_name (events/brokers.py)
    ws_bind_address: Optional[str] = None  # None: bind_address (the edge fronts it on loopback)
    # every MQTT packet's limit (CLOUDSIGNAL_MAX_PACKET_SIZE, default 2 MiB) and the broker's heap
    # cap (CLOUDSIGNAL_BROKER_MEMORY_LIMIT, bytes, 0 = none)
    max_packet_size: int = field(default_factory=lambda: _env_int("CLOUDSIGNAL_MAX_PACKET_SIZE",
                                                                  DEFAULT_MAX_PACKET_SIZE))
    memory_limit: int = field(default_factory=lambda: _env_int("CLOUDSIGNAL_BROKER_MEMORY_LIMIT", 0))

    @property
    def config_path(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "data" / "broker.log"

    @property
    def secret_path(self) -> Path:
        return self.directory / "broker-secret"

    @property
    def state_path(self) -> Path:
        """The plugin's principal store (verifiers, rules): the template puts it in the data dir."""
        return self.directory / "data" / "cloudsignal-state.json"


def ensure_secret(path: Path) -> str:
    """The broker secret in `path`, created (random, mode 0600, whatever the umask) on first use;
    an existing file loses any access by others. `render` then lets the broker's group read it."""
    if not path.exists():
        _owner_only_dir(path.parent)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    mode = path.stat().st_mode & 0o777
    if mode & 0o037:  # never world-readable, never group-writable
        try:
            path.chmod(mode & 0o740)
        except OSError:  # a read-only mount (a Compose secret) stays as it is
            pass
    return path.read_text().strip()


def _owner_only_dir(path: Path) -> None:
    """Create `path` and missing parents 0700 whatever the umask."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)


def render(settings: BrokerSettings) -> Path:
    """Write the broker's config (and secret, if new) into `settings.directory`; return its path."""
    data_dir = settings.directory / "data"
    _owner_only_dir(data_dir)
    for folder in (settings.directory, data_dir):
        folder.chmod(0o700)  # _give_to_broker_user opens them to the broker's group when it drops to it
    ensure_secret(settings.secret_path)
    settings.secret_path.chmod(0o600)
    tls = ""
    if settings.tls_port:
        tls = TLS_LISTENER.format(tls_port=settings.tls_port, bind_address=settings.bind_address,
                                  tls_dir=settings.tls_dir)
    text = TEMPLATE.read_text().format(
        log_dest=f"file {settings.log_path}" if settings.log_to_file else "stdout",
        data_dir=data_dir, mqtt_port=settings.mqtt_port, ws_port=settings.ws_port,
        bind_address=settings.bind_address, ws_bind_address=settings.ws_bind_address or settings.bind_address,
        max_packet_size=settings.max_packet_size, memory_limit=settings.memory_limit,
        tls_listener=tls, plugin_path=PLUGIN,
        service_url=settings.service_url, secret_file=settings.secret_path,
        internal_username=settings.internal_username,
    )
    if settings.broker_name:  # several brokers: the plugin names itself in its calls to the service
        text = text.replace("plugin_opt_service_url", f"plugin_opt_broker_name {settings.broker_name}\n"
                                                      "plugin_opt_service_url", 1)
    descriptor = os.open(settings.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    _give_to_broker_user(settings.directory, data_dir, settings.secret_path, settings.config_path)
    return settings.config_path


def _give_to_broker_user(directory: Path, data_dir: Path, secret_path: Path, config_path: Path) -> None:
    """Mosquitto started as root drops to the `mosquitto` user: after that it writes its data and
    reads its config and the broker secret again on a reload (SIGHUP). So, when root, everything
    is owned by root and group `mosquitto`: the folder 0750, the data folder 0770, the secret and
    the config 0640 (the broker can read, not change them); nobody else has any access. Not root:
    Mosquitto does not change user, and everything stays the owner's only (0700, 0600)."""
    if os.geteuid() != 0:
        return
    for path in (directory, data_dir, secret_path, config_path):
        try:
            shutil.chown(path, user="root", group="mosquitto")
        except (LookupError, PermissionError):
            return
    directory.chmod(0o750)
    data_dir.chmod(0o770)
    secret_path.chmod(0o640)
    config_path.chmod(0o640)
    parent = directory.parent  # the broker traverses it to reach its folder: var/ in `make run`
    info = parent.stat()
    if not info.st_mode & 0o001 and info.st_uid == 0 and info.st_mode & 0o700 == 0o700 and _is_own_var(parent):
        shutil.chown(parent, group="mosquitto")
        parent.chmod(0o710)


def _is_own_var(folder: Path) -> bool:
    """Whether `folder` is the deployment's own var/ (closed to others; see events/store.py)."""
    try:
        return folder.resolve() == Path("var").resolve()
    except OSError:
        return False
