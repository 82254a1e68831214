"""The organization prefix of multi tenancy: added on the way to the broker, stripped on the way
back, so that code sees the same topics and client ids in both tenancy modes."""

from __future__ import annotations

import os
from typing import Optional

TENANCIES = ("single", "multi")
SHARED = "$share/"


def resolve_tenancy(tenancy: Optional[str]) -> str:
    """``tenancy``, else ``$CLOUDSIGNAL_TENANCY``, else ``"single"``."""
    value = (tenancy or os.environ.get("CLOUDSIGNAL_TENANCY") or "single").strip().lower()
    if value not in TENANCIES:
        raise ValueError(f"tenancy must be 'single' or 'multi', not {value!r}")
    return value


def org_of(username: Optional[str]) -> Optional[str]:
    """The organization id a ``name@org_...`` username ends with."""
    if not username:
        return None
    _, at, org_id = username.rpartition("@")
    return org_id if at and org_id.startswith("org_") else None


class Namespace:
    """Maps topics between what the code writes and what the broker holds."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    @classmethod
    def for_user(cls, username: Optional[str], tenancy: str) -> "Namespace":
        if tenancy != "multi":
            return cls("")
        org_id = org_of(username)
        if org_id is None:
            raise ValueError(f"multi tenancy needs a username of the form name@org_..., not {username!r}")
        return cls(org_id + "/")

    def topic(self, topic: str) -> str:
        """A topic or filter as the broker knows it (shared subscriptions keep ``$share/group/``)."""
        if self.prefix and topic.startswith(SHARED):
            group, _, rest = topic[len(SHARED):].partition("/")
            return f"{SHARED}{group}/{self.prefix}{rest}"
        return self.prefix + topic

    def strip(self, topic: str) -> str:
        """A received topic as the code wrote it."""
        return topic[len(self.prefix):] if self.prefix and topic.startswith(self.prefix) else topic


def matching_filter(topic_filter: str) -> str:
    """The part of a filter that topics are matched against (without ``$share/group/``)."""
    if topic_filter.startswith(SHARED):
        return topic_filter[len(SHARED):].partition("/")[2]
    return topic_filter


def wire_client_id(username: Optional[str], client_id: str) -> str:
    """A client id as the broker knows it: ``<org_id>/<client_id>`` for a ``name@org_...``
    username. Multi tenancy refuses client ids without their organization's prefix; single
    tenancy takes them as they are, and the REST API shows them without it in both modes, so the
    prefix is added whatever the tenancy (a client need not know it to connect)."""
    org_id = org_of(username)
    return f"{org_id}/{client_id}" if org_id else client_id
