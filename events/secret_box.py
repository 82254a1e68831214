"""Provider secrets encrypted at rest with a deployment key kept outside the event store.

The key file (CLOUDSIGNAL_SECRETS_KEY_FILE, default `var/secrets.key`, mode 0600) holds one or
more Fernet keys, one per line, newest first: values are encrypted with the newest and read with
any (cryptography's MultiFernet). An encrypted value is text `enc:fernet:<token>`; a value
without that prefix was stored in clear before encryption existed and is used as it is until the
provider next changes or `cloudsignal-server secrets rotate` runs, which encrypt it.

The file is read again whenever it changes (size or modification time), so a running service
picks up a rotated key without a restart.
"""

import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:fernet:"
DEFAULT_KEY_FILE = "var/secrets.key"
# Provider settings holding secret material (HS256 shared secrets: jwt `secret`, supabase `secret`).
SECRET_SETTINGS = ("secret",)
HEADER = "# CloudSignal secrets key: Fernet keys, newest first. Keep it outside the event store and its backups.\n"
MOSQUITTO_GROUP = "mosquitto"

_cache: Dict[str, Tuple[Tuple[int, int, int], List[bytes]]] = {}
_lock = threading.Lock()


class SecretUnreadable(Exception):
    """An encrypted value none of the deployment's keys opens (wrong or missing key file)."""


def key_path(environ: Optional[Mapping[str, str]] = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("CLOUDSIGNAL_SECRETS_KEY_FILE") or DEFAULT_KEY_FILE)


def owner_only_folder(folder: Path, narrow_existing: bool = False) -> None:
    """Create `folder` (and missing parents) 0700 whatever the umask. An existing folder is
    narrowed only when asked (the deployment's own `var/`): to 0700, or 0710 when its group is
    `mosquitto` (the broker, which drops to that user, traverses it to reach var/mosquitto)."""
    missing = []
    probe = folder.absolute()
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(path, 0o700)
    if narrow_existing and not missing:
        try:
            info = folder.stat()
            mode = 0o700
            if info.st_mode & stat.S_IXGRP and _is_mosquitto_group(info.st_gid):
                mode = 0o710
            if stat.S_IMODE(info.st_mode) != mode and info.st_uid == os.geteuid():
                os.chmod(folder, mode)
        except OSError:
            pass


def _is_mosquitto_group(gid: int) -> bool:
    try:
        import grp

        return grp.getgrgid(gid).gr_name == MOSQUITTO_GROUP
    except (ImportError, KeyError):
        return False


def owner_only_file(path: Path) -> None:
    """Narrow an existing file to 0600 (a read-only mount, such as a Compose secret, is left as is)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass


def is_default_var(folder: Path) -> bool:
    """Whether `folder` is the deployment's own `var/` (relative to the working directory)."""
    try:
        return folder.resolve() == Path("var").resolve()
    except OSError:
        return False


def _write_new(path: Path, text: str, replace: bool) -> bool:
    """Write `text` to `path` 0600 atomically; without `replace`, only if `path` does not exist
    (several processes starting together create one key). Returns whether this call wrote it."""
    descriptor, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=".secrets-", suffix=".tmp")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
            return True
        except FileExistsError:
            return False
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def ensure_key(environ: Optional[Mapping[str, str]] = None) -> Path:
    """The key file, created with one new key (mode 0600, folder 0700) when it does not exist."""
    path = key_path(environ)
    owner_only_folder(path.parent, narrow_existing=is_default_var(path.parent))
    if not path.exists():
        _write_new(path, HEADER + Fernet.generate_key().decode() + "\n", replace=False)
    owner_only_file(path)
    return path


def read_keys(path: Path) -> List[bytes]:
    """The keys in a key file, newest first."""
    keys = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            Fernet(line.encode())  # a malformed key fails here, naming the file below
            keys.append(line.encode())
    if not keys:
        raise ValueError(f"{path} holds no key")
    return keys


def keys(environ: Optional[Mapping[str, str]] = None, create: bool = False) -> List[bytes]:
    """The deployment's keys, newest first; read again when the file changes."""
    path = ensure_key(environ) if create else key_path(environ)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SecretUnreadable(f"the secrets key file {path} does not exist") from None
    signature = (info.st_mtime_ns, info.st_size, info.st_ino)
    with _lock:
        cached = _cache.get(str(path))
        if cached and cached[0] == signature:
            return cached[1]
    try:
        found = read_keys(path)
    except (OSError, ValueError) as error:
        raise SecretUnreadable(f"cannot read the secrets key file {path}: {error}") from None
    with _lock:
        _cache[str(path)] = (signature, found)
    return found


def _box(environ: Optional[Mapping[str, str]] = None, create: bool = False) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys(environ, create=create)])


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(value: str, environ: Optional[Mapping[str, str]] = None) -> str:
    """`value` encrypted with the newest key (the key file is created if missing)."""
    return PREFIX + _box(environ, create=True).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(value: Any, environ: Optional[Mapping[str, str]] = None) -> Any:
    """The clear value: decrypted when sealed, as it is otherwise (stored before encryption)."""
    if not is_sealed(value):
        return value
    try:
        return _box(environ).decrypt(value[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable("no key in the secrets key file opens this value (wrong key file?)") from None


def reseal(value: Any, environ: Optional[Mapping[str, str]] = None) -> Any:
    """`value` encrypted with the newest key (a clear value is encrypted; None stays None)."""
    if value in (None, ""):
        return value
    if not is_sealed(value):
        return seal(value, environ)
    box = _box(environ, create=True)
    try:
        return PREFIX + box.rotate(value[len(PREFIX):].encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable("no key in the secrets key file opens this value (wrong key file?)") from None


def seal_settings(settings: Dict[str, Any], stored: Optional[Dict[str, Any]] = None,
                  environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Provider settings ready to store: each secret setting encrypted, except a value that is
    the stored, already encrypted one (unchanged). Anything else, a given value that looks
    encrypted included, is taken as clear text and encrypted."""
    sealed = dict(settings)
    for name in SECRET_SETTINGS:
        value = sealed.get(name)
        if value in (None, ""):
            continue
        if stored is not None and is_sealed(value) and value == stored.get(name):
            continue
        sealed[name] = seal(value, environ)
    return sealed


def unseal_settings(settings: Dict[str, Any], environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Provider settings with their secrets in clear, for verifying a token (never to store or show)."""
    if not any(is_sealed(settings.get(name)) for name in SECRET_SETTINGS):
        return settings
    return {name: unseal(value, environ) if name in SECRET_SETTINGS else value for name, value in settings.items()}


def needs_reseal(settings: Dict[str, Any], newest: bytes) -> bool:
    """Whether a secret setting is in clear or not encrypted with `newest`."""
    fernet = Fernet(newest)
    for name in SECRET_SETTINGS:
        value = settings.get(name)
        if value in (None, ""):
            continue
        if not is_sealed(value):
            return True
        try:
            fernet.decrypt(value[len(PREFIX):].encode("ascii"))
        except InvalidToken:
            return True
    return False


def add_key(environ: Optional[Mapping[str, str]] = None) -> List[bytes]:
    """Put a new key first in the key file (the older ones stay, for reading); returns the keys."""
    path = ensure_key(environ)
    current = read_keys(path)
    updated = [Fernet.generate_key(), *current]
    _write_new(path, HEADER + "".join(key.decode() + "\n" for key in updated), replace=True)
    return updated


def retire_old_keys(environ: Optional[Mapping[str, str]] = None) -> List[bytes]:
    """Keep only the newest key in the key file; returns the keys removed."""
    path = ensure_key(environ)
    current = read_keys(path)
    _write_new(path, HEADER + current[0].decode() + "\n", replace=True)
    return current[1:]
