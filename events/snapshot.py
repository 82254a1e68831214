"""Read-model snapshots: a process starts from the latest one and replays only what came after.

A snapshot is the read model's in-memory state (compact user records as tuples, every other live
aggregate) with the log position it was taken at, the store's id (the originator of its first
event) and the identity of the event at that position (originator id and version). A process
uses it only when all three match its store, so a snapshot of another store, of a store restored
from an older backup, or of a log that was rewritten is ignored (the process replays the whole
log, as without one). The file is a pickle signed with HMAC-SHA256 under a key derived from the
deployment's secrets key (events/secret_box.py): an unsigned or altered file is never unpickled.
Mode 0600, written to a temporary file then renamed.

Where: `CLOUDSIGNAL_SNAPSHOT_PATH`; by default, for the embedded SQLite store, next to it
(`var/cloudsignal.sqlite.read-model`); PostgreSQL deployments name a path (each host its own,
e.g. `var/read-model.snapshot`); `off` disables. When: every `CLOUDSIGNAL_SNAPSHOT_SECONDS`
(default 300) by the read model's follower when at least 1,000 events came since the last one,
and right after a start that replayed at least 50,000 events. The writer forks: the child
pickles its copy-on-write image of the model, so the follower (and every request) never waits
for it.

`cloudsignal-server replay --verify` rebuilds the projections from the first event, never from
a snapshot, and compares them with a running process's, which may have started from one.
"""

import hashlib
import hmac
import logging
import os
import pickle
import threading
import time
from typing import Any, ContextManager, Dict, Mapping, Optional, Protocol, Tuple

from eventsourcing.persistence import ApplicationRecorder

from events import secret_box

log = logging.getLogger("cloudsignal.snapshot")
FORMAT = 2  # 2: user tuples start with the aggregate id (int)
MAGIC = b"cloudsignal-read-model\n"
DEFAULT_SECONDS = 300
MIN_EVENTS = 1000  # a periodic snapshot needs at least this many new events
START_EVENTS = 50000  # a start that replayed this many writes one at once


def snapshot_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """The settings the read model needs for snapshots (into the application's env)."""
    names = ("CLOUDSIGNAL_SNAPSHOT_PATH", "CLOUDSIGNAL_SNAPSHOT_SECONDS", "CLOUDSIGNAL_SECRETS_KEY_FILE")
    return {name: environ[name] for name in names if name in environ}


def snapshot_path(env: Mapping[str, str]) -> Optional[str]:
    explicit = env.get("CLOUDSIGNAL_SNAPSHOT_PATH")
    if explicit is not None:
        return None if explicit.strip().lower() in ("", "off", "none") else explicit
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        path = env.get("SQLITE_DBNAME", "")
        if path and ":memory:" not in path and "mode=memory" not in path and not path.startswith("file:"):
            return path + ".read-model"
    return None


def _key(env: Mapping[str, str]) -> Optional[bytes]:
    try:
        newest = secret_box.keys(env)[0]
    except Exception:  # no key file: no snapshots (they would be unsigned)
        return None
    return hmac.new(newest, b"cloudsignal-read-model-snapshot-v1", hashlib.sha256).digest()


class Snapshotted(Protocol):
    """What a snapshot needs of the read model (events/readmodel.py), which owns its Snapshots."""

    recorder: ApplicationRecorder
    position: int

    def paused(self) -> ContextManager[None]: ...
    def capture(self) -> Dict[str, Any]: ...
    def restore(self, state: Dict[str, Any]) -> None: ...


def log_identity(model: Snapshotted, position: int) -> Tuple[Optional[str], Optional[Tuple[str, int]]]:
    """(store id, (originator id, version) of the event at `position`)."""
    recorder = model.recorder
    first = recorder.select_notifications(1, 1)
    store = str(first[0].originator_id) if first else None
    at = recorder.select_notifications(position, 1, stop=position) if position else []
    return store, ((str(at[0].originator_id), at[0].originator_version) if at else None)


class Snapshots:
    """Snapshots of one read model."""

    def __init__(self, model: Snapshotted, env: Mapping[str, str]):
        self.model = model
        self.path = snapshot_path(env)
        self.key = _key(env) if self.path else None
        self.interval = float(env.get("CLOUDSIGNAL_SNAPSHOT_SECONDS") or DEFAULT_SECONDS)
        self.position = 0  # of the latest snapshot this process loaded or wrote
        self._next = time.monotonic() + self.interval
        self._writing = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.path and self.key)

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> bool:
        """Restore the model from the snapshot when it matches this store; False otherwise."""
        path, key = self.path, self.key
        if not path or not key or not os.path.exists(path):  # not self.enabled, or no snapshot yet
            return False
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 32:
                raise ValueError("not a read-model snapshot")
            signature, body = data[len(MAGIC):len(MAGIC) + 32], data[len(MAGIC) + 32:]
            if not hmac.compare_digest(signature, hmac.new(key, body, hashlib.sha256).digest()):
                raise ValueError("bad signature (another deployment's key, or altered)")
            state = pickle.loads(body)
            if state.get("format") != FORMAT:
                raise ValueError(f"format {state.get('format')} (this version reads {FORMAT})")
            store, at = log_identity(self.model, state["position"])
            if (store, at) != (state["store"], state["at"]):
                raise ValueError("taken from another store or another log (the position does not match)")
            self.model.restore(state)
            self.position = state["position"]
            log.info("read model restored from %s at position %s", self.path, self.position)
            return True
        except Exception as error:
            log.warning("read-model snapshot %s not used: %s", self.path, error)
            return False

    # -- writing -----------------------------------------------------------------------------

    def due(self) -> bool:
        return (self.enabled and time.monotonic() >= self._next
                and self.model.position - self.position >= MIN_EVENTS)

    def write(self, background: bool = True) -> Optional[int]:
        """Write a snapshot at the model's current position; returns that position (None when
        disabled or already writing). `background`: fork, so nothing waits."""
        if not self.enabled or not self._writing.acquire(blocking=False):
            return None
        self._next = time.monotonic() + self.interval
        try:
            with self.model.paused():
                position = self.model.position
                store, at = log_identity(self.model, position)
                if background and hasattr(os, "fork"):
                    pid = os.fork()
                    if pid == 0:  # the child: its copy of the model cannot change
                        code = 1
                        try:
                            self._write_file(self.model.capture(), position, store, at)
                            code = 0
                        finally:
                            os._exit(code)
                else:
                    pid = 0
                    state = self.model.capture()
            if pid:
                threading.Thread(target=self._reap, args=(pid, position), daemon=True).start()
                return position
            self._write_file(state, position, store, at)
            self.position = position
            self._writing.release()
            return position
        except BaseException:
            if self._writing.locked():
                self._writing.release()
            raise

    def _reap(self, pid: int, position: int) -> None:
        try:
            _, status = os.waitpid(pid, 0)
            if status == 0:
                self.position = position
            else:
                log.warning("writing the read-model snapshot failed (status %s)", status)
        finally:
            self._writing.release()

    def _write_file(self, state: Dict[str, Any], position: int, store: Optional[str], at: Any) -> None:
        state = {**state, "format": FORMAT, "position": position, "store": store, "at": at}
        body = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.path and self.key
        signature = hmac.new(self.key, body, hashlib.sha256).digest()
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        temporary = f"{self.path}.{os.getpid()}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(MAGIC + signature + body)
            os.replace(temporary, self.path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
