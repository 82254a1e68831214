"""Public identifiers: prefixed random strings, and the aggregate UUIDs derived from them."""

import secrets
import string
from uuid import UUID, uuid5

BASE62 = string.digits + string.ascii_letters
BASE32_LOWER = "abcdefghijklmnopqrstuvwxyz234567"

# Namespace of every uuid5 this project derives; fixed forever, since stored ids depend on it.
NAMESPACE = UUID("5b0f3c1e-8a47-4d4e-9a43-6f1d2c0c5a11")


def random_string(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_org_id() -> str:
    return "org_" + random_string(BASE32_LOWER, 12)


def new_id(prefix: str) -> str:
    """A public id such as `key_...` or `rule_...`."""
    return f"{prefix}_{random_string(BASE62, 16)}"


def new_api_key(key_type: str) -> str:
    prefix = {"secret": "sk", "public": "pk", "restricted": "rk"}[key_type]
    return f"{prefix}_{random_string(BASE62, 40)}"


def aggregate_id(public_id: str) -> UUID:
    """The aggregate UUID behind a public id, so a lookup by public id needs no index."""
    return uuid5(NAMESPACE, public_id)
