"""The web console: the built files of `dashboard/` (`make dashboard`) at `/dashboard/`; `/` redirects there.

Static files only: the console is a client of `/v2` (same origin) and of the broker's WebSockets
listener, whose address it reads from `/dashboard/config.json`. Every reply carries a strict
Content-Security-Policy: scripts and styles from this origin only, nothing inline, connections to
this origin and the broker's WebSockets origin only.

- `CLOUDSIGNAL_DASHBOARD_DIR`: the built files (default `dashboard/dist` in the repository).
- `CLOUDSIGNAL_DASHBOARD_MQTT_URL`: the broker's WebSockets URL as a browser reaches it (default
  `ws://<the page's host>:9001/mqtt`, `wss://` when the page came over https).
"""

import json
import os
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, redirect, request, send_from_directory
from werkzeug.wrappers import Response as Redirect

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WS_PORT = 9001


def mqtt_url(configured: Optional[str]) -> str:
    """The broker's WebSockets URL for the browser that asked."""
    if configured:
        return configured
    scheme = "wss" if request.scheme == "https" else "ws"
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return f"{scheme}://{host}:{DEFAULT_WS_PORT}/mqtt"


def content_security_policy(broker_url: str) -> str:
    parts = urlsplit(broker_url)
    broker_origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {broker_origin}".strip(),
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])


def install_dashboard(app: Flask, environ: Mapping[str, str]) -> None:
    """Serve the built console at /dashboard/ and redirect / there."""
    folder = Path(environ.get("CLOUDSIGNAL_DASHBOARD_DIR") or ROOT / "dashboard" / "dist")
    configured = environ.get("CLOUDSIGNAL_DASHBOARD_MQTT_URL") or None
    blueprint = Blueprint("dashboard", __name__)

    def secured(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = content_security_policy(mqtt_url(configured))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response

    def index() -> Response:
        if not (folder / "index.html").is_file():
            return secured(Response("The dashboard is not built: run `make dashboard`.\n", 503,
                                    mimetype="text/plain"))
        response = send_from_directory(folder, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return secured(response)

    @blueprint.get("/")
    def root() -> Redirect:
        return redirect("/dashboard/", 302)

    @blueprint.get("/dashboard")
    def bare() -> Redirect:
        return redirect("/dashboard/", 301)

    @blueprint.get("/dashboard/config.json")
    def config() -> Response:
        response = Response(json.dumps({"mqtt_url": mqtt_url(configured)}), mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return secured(response)

    @blueprint.get("/dashboard/")
    @blueprint.get("/dashboard/<path:path>")
    def files(path: str = "") -> Response:
        target = folder / path
        if path and target.is_file() and folder.resolve() in target.resolve().parents:
            immutable = path.startswith("assets/")  # content-hashed names
            response = send_from_directory(folder, path, max_age=31536000 if immutable else 0)
            if immutable:
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return secured(response)
        if path.startswith("assets/") or os.path.splitext(path)[1]:
            return secured(Response("Not found\n", 404, mimetype="text/plain"))
        return index()  # a page of the console: the app routes it

    app.register_blueprint(blueprint)
