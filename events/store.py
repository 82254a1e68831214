"""Where events are stored: PostgreSQL when DATABASE_URL is set, else an embedded SQLite file."""

import os
from typing import Dict, Mapping, Optional
from urllib.parse import unquote, urlparse

DEFAULT_SQLITE_PATH = "var/cloudsignal.sqlite"


def persistence_env(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The eventsourcing settings for this deployment, read from `environ` (default os.environ)."""
    environ = os.environ if environ is None else environ
    url = environ.get("DATABASE_URL", "")
    url_file = environ.get("CLOUDSIGNAL_DATABASE_URL_FILE")
    if not url and url_file:  # a secret file, as Docker Compose mounts it
        with open(url_file) as file:
            url = file.read().strip()
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"DATABASE_URL must be a postgresql:// URL, not {parsed.scheme}://")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parsed.path.lstrip("/") or "cloudsignal",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_PRE_PING": "y",  # a pooled connection that died (database restart) is replaced
            "POSTGRES_CONNECT_TIMEOUT": "3",
        }
    if environ.get("PERSISTENCE_MODULE") == "eventsourcing.popo":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    path = environ.get("CLOUDSIGNAL_SQLITE_PATH", DEFAULT_SQLITE_PATH)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
