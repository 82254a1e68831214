"""Render deploy/edge/nginx.conf.template for one deployment and (optionally) run nginx on it.

The one edge configuration of `make run` (scripts/run-local.sh), the tests (tests/support/
processes.py, class Edge) and the Compose stack (deploy/edge-entrypoint.sh). Standard library
only: it runs in the edge's container too.

    python3 deploy/edge/render.py --runtime-dir var/edge --api 127.0.0.1:8180 --streams 127.0.0.1:8182 \
        --mqtt-ws 127.0.0.1:9101 --http 127.0.0.1:8080 --ws 127.0.0.1:9001 \
        [--tls-dir var/tls --https 127.0.0.1:8443 --wss 127.0.0.1:9443] [--exec]

Addresses are host:port or unix:/path (upstreams). Without --tls-dir (or when it holds no
server.crt) the TLS servers are left out. Prints the rendered file's path; --exec replaces this
process with nginx in the foreground.
"""

import argparse
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, Optional

EDGE_DIR = Path(__file__).resolve().parent
TEMPLATE = EDGE_DIR / "nginx.conf.template"
TLS_BLOCK = re.compile(r"^[ \t]*# \{\{#tls\}\}\n.*?^[ \t]*# \{\{/tls\}\}\n", re.S | re.M)


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def render(runtime_dir: Path, api: str, streams: str, mqtt_ws: str, http: str, ws: str,
           tls_dir: Optional[Path] = None, https: Optional[str] = None, wss: Optional[str] = None,
           worker_processes: str = "auto", access_log: Optional[str] = None,
           error_log: Optional[str] = None) -> Path:
    """Write `runtime_dir`/nginx.conf; return its path."""
    runtime_dir = Path(runtime_dir).resolve()
    runtime_dir.mkdir(parents=True, exist_ok=True)
    tls = bool(tls_dir and (Path(tls_dir) / "server.crt").exists() and https and wss)
    fields: Dict[str, str] = {
        # root: workers as Debian's nginx user (they only read and write sockets; the master reads
        # the key and opens the logs); otherwise nginx keeps the user it runs as
        "user": "user www-data;" if os.geteuid() == 0 and _has_user("www-data") else "",
        "worker_processes": str(worker_processes),
        "runtime_dir": str(runtime_dir),
        "edge_dir": str(EDGE_DIR),
        "mime_types": "/etc/nginx/mime.types" if Path("/etc/nginx/mime.types").exists() else str(EDGE_DIR / "mime.types"),
        "error_log": error_log or str(runtime_dir / "error.log"),
        "access_log": f"{access_log} edge" if access_log else "off",
        "api_upstream": api, "stream_upstream": streams, "mqtt_ws_upstream": mqtt_ws,
        "http_listen": http, "ws_listen": ws,
        "https_listen": https or "", "wss_listen": wss or "",
        "tls_cert": str(Path(tls_dir).resolve() / "server.crt") if tls else "",
        "tls_key": str(Path(tls_dir).resolve() / "server.key") if tls else "",
    }
    text = TEMPLATE.read_text()
    if not tls:
        text = TLS_BLOCK.sub("", text)
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], text)
    path = runtime_dir / "nginx.conf"
    path.write_text(text)
    return path


def _has_user(name: str) -> bool:
    try:
        import pwd

        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def command(config: Path) -> list:
    """nginx in the foreground on `config` (its prefix: the config's folder)."""
    folder = str(Path(config).parent)
    return [nginx_binary(), "-p", folder, "-c", str(config), "-e", str(Path(folder) / "error.log")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime-dir", required=True, type=Path)
    parser.add_argument("--api", required=True, help="the public gunicorn instance")
    parser.add_argument("--streams", required=True, help="the streams gunicorn instance")
    parser.add_argument("--mqtt-ws", required=True, help="Mosquitto's WebSockets listener")
    parser.add_argument("--http", required=True, help="listen: the API over http")
    parser.add_argument("--ws", required=True, help="listen: MQTT over ws")
    parser.add_argument("--tls-dir", type=Path, help="holds server.crt and server.key")
    parser.add_argument("--https", help="listen: the API over https")
    parser.add_argument("--wss", help="listen: MQTT over wss")
    parser.add_argument("--workers", default=os.environ.get("CLOUDSIGNAL_EDGE_WORKERS", "auto"))
    parser.add_argument("--access-log", default=None, help="a path or /dev/stdout; default none")
    parser.add_argument("--exec", action="store_true", help="run nginx on it in the foreground")
    args = parser.parse_args()
    config = render(args.runtime_dir, args.api, args.streams, args.mqtt_ws, args.http, args.ws, args.tls_dir,
                    args.https, args.wss, args.workers, args.access_log)
    if args.exec:
        argv = command(config)
        check = os.spawnv(os.P_WAIT, argv[0], [*argv, "-t", "-q"])
        if check != 0:
            sys.exit(f"nginx refused {config}")
        os.execv(argv[0], argv)
    print(config)


if __name__ == "__main__":
    main()
