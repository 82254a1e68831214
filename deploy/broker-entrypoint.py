"""Container entry point: render broker-config/mosquitto.conf from the environment, run mosquitto.

Environment: CLOUDSIGNAL_SERVICE_URL (the service, on loopback: the broker shares the service's
network namespace), CLOUDSIGNAL_BROKER_SECRET_FILE (a mounted secret), CLOUDSIGNAL_MQTT_PORT,
CLOUDSIGNAL_WS_PORT (loopback only: the edge fronts it), CLOUDSIGNAL_TLS_DIR (server.crt and
server.key: MQTTS on CLOUDSIGNAL_MQTTS_PORT, 8883), CLOUDSIGNAL_MAX_PACKET_SIZE,
CLOUDSIGNAL_BROKER_MEMORY_LIMIT.
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/var/lib/mosquitto")

DATA.mkdir(parents=True, exist_ok=True)
os.system(f"chown mosquitto {DATA}")
tls_listener = ""
tls_source = Path(os.environ.get("CLOUDSIGNAL_TLS_DIR", "/etc/cloudsignal/tls"))
if (tls_source / "server.crt").exists():
    # the mounted files, copied where only the broker's user reads the key
    tls_dir = Path("/run/cloudsignal-tls")
    tls_dir.mkdir(mode=0o750, exist_ok=True)
    for name in ("server.crt", "server.key", "ca.crt"):
        if (tls_source / name).exists():
            shutil.copyfile(tls_source / name, tls_dir / name)
            shutil.chown(tls_dir / name, user="mosquitto")
            (tls_dir / name).chmod(0o600 if name == "server.key" else 0o644)
    shutil.chown(tls_dir, group="mosquitto")
    if not (tls_dir / "ca.crt").exists():
        shutil.copyfile(tls_dir / "server.crt", tls_dir / "ca.crt")
    tls_listener = (f"\n# MQTT over TLS\nlistener {os.environ.get('CLOUDSIGNAL_MQTTS_PORT', '8883')} 0.0.0.0\n"
                    f"socket_domain ipv4\ncafile {tls_dir}/ca.crt\ncertfile {tls_dir}/server.crt\n"
                    f"keyfile {tls_dir}/server.key\n")
config = (ROOT / "broker-config" / "mosquitto.conf").read_text().format(
    log_dest="stdout", data_dir=DATA, bind_address="0.0.0.0", ws_bind_address="127.0.0.1", tls_listener=tls_listener,
    max_packet_size=os.environ.get("CLOUDSIGNAL_MAX_PACKET_SIZE") or 2 * 1024 * 1024,
    memory_limit=os.environ.get("CLOUDSIGNAL_BROKER_MEMORY_LIMIT") or 0,
    mqtt_port=os.environ.get("CLOUDSIGNAL_MQTT_PORT", "1883"), ws_port=os.environ.get("CLOUDSIGNAL_WS_PORT", "9101"),
    plugin_path=ROOT / "broker-config" / "plugin" / "cloudsignal_auth.so",
    service_url=os.environ.get("CLOUDSIGNAL_SERVICE_URL", "http://127.0.0.1:8081"),
    secret_file=os.environ["CLOUDSIGNAL_BROKER_SECRET_FILE"],
    internal_username=os.environ.get("CLOUDSIGNAL_INTERNAL_USERNAME", "cloudsignal-internal"),
)
path = Path("/etc/mosquitto/cloudsignal.conf")
path.write_text(config)
os.execvp("mosquitto", ["mosquitto", "-c", str(path)])
