"""Renders broker-config/mosquitto.conf for one deployment (make run, tests, benchmarks)."""

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "broker-config" / "mosquitto.conf"
PLUGIN = ROOT / "broker-config" / "plugin" / "cloudsignal_auth.so"

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
    """The broker secret in `path`, created (random, mode 0640) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o640)
    return path.read_text().strip()


def render(settings: BrokerSettings) -> Path:
    """Write the broker's config (and secret, if new) into `settings.directory`; return its path."""
    data_dir = settings.directory / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    ensure_secret(settings.secret_path)
    tls = ""
    if settings.tls_port:
        tls = TLS_LISTENER.format(tls_port=settings.tls_port, bind_address=settings.bind_address,
                                  tls_dir=settings.tls_dir)
    text = TEMPLATE.read_text().format(
        log_dest=f"file {settings.log_path}" if settings.log_to_file else "stdout",
        data_dir=data_dir, mqtt_port=settings.mqtt_port, ws_port=settings.ws_port,
        bind_address=settings.bind_address, tls_listener=tls, plugin_path=PLUGIN,
        service_url=settings.service_url, secret_file=settings.secret_path,
        internal_username=settings.internal_username,
    )
    settings.config_path.write_text(text)
    _give_to_broker_user(settings.directory, data_dir, settings.secret_path)
    return settings.config_path


def _give_to_broker_user(*paths: Path) -> None:
    """Mosquitto started as root drops to `mosquitto`: it must read the secret and write its data."""
    if os.geteuid() != 0:
        return
    for path in paths:
        try:
            shutil.chown(path, user="root", group="mosquitto")
        except (LookupError, PermissionError):
            return
    (paths[1]).chmod(0o770)
