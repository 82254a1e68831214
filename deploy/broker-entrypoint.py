"""Container entry point: render broker-config/mosquitto.conf from the environment, run mosquitto.

Environment: CLOUDSIGNAL_SERVICE_URL (the service, on loopback: the broker shares the service's
network namespace), CLOUDSIGNAL_BROKER_SECRET_FILE (a mounted secret), CLOUDSIGNAL_MQTT_PORT,
CLOUDSIGNAL_WS_PORT.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/var/lib/mosquitto")

DATA.mkdir(parents=True, exist_ok=True)
os.system(f"chown mosquitto {DATA}")
config = (ROOT / "broker-config" / "mosquitto.conf").read_text().format(
    log_dest="stdout", data_dir=DATA, bind_address="0.0.0.0", tls_listener="",
    mqtt_port=os.environ.get("CLOUDSIGNAL_MQTT_PORT", "1883"), ws_port=os.environ.get("CLOUDSIGNAL_WS_PORT", "9001"),
    plugin_path=ROOT / "broker-config" / "plugin" / "cloudsignal_auth.so",
    service_url=os.environ.get("CLOUDSIGNAL_SERVICE_URL", "http://127.0.0.1:8081"),
    secret_file=os.environ["CLOUDSIGNAL_BROKER_SECRET_FILE"],
    internal_username=os.environ.get("CLOUDSIGNAL_INTERNAL_USERNAME", "cloudsignal-internal"),
)
path = Path("/etc/mosquitto/cloudsignal.conf")
path.write_text(config)
os.execvp("mosquitto", ["mosquitto", "-c", str(path)])
