"""Where events are stored: PostgreSQL when DATABASE_URL is set, else an embedded SQLite file.

Files holding state are the owner's only: the SQLite folder is created 0700 (the default `var/`
is narrowed to it), the store file is created 0600 before SQLite opens it, so its -wal and -shm
files, which SQLite creates with the store's mode, are 0600 too, whatever the umask. The
deployment's secrets key (events/secret_box.py) is created here as well, at the first start.
"""

import os
from pathlib import Path
from typing import Dict, Mapping, Optional
from urllib.parse import unquote, urlparse

from events import secret_box

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
        secret_box.ensure_key(environ)
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
    owner_only_sqlite(path)
    secret_box.ensure_key(environ)
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}


def owner_only_sqlite(path: str) -> None:
    """Create the store's folder 0700 and the store file 0600 (narrowing existing ones)."""
    if ":memory:" in path or "mode=memory" in path or path.startswith("file:"):
        return
    folder = Path(os.path.abspath(path)).parent
    secret_box.owner_only_folder(folder, narrow_existing=secret_box.is_default_var(folder))
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # empty: SQLite makes it a database
    except OSError:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            secret_box.owner_only_file(Path(path + suffix))
