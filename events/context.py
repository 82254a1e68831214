"""Who is acting and in which request: recorded on every event without threading it through calls."""

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Optional

SYSTEM_ACTOR = "system"

actor_var: ContextVar[str] = ContextVar("actor", default=SYSTEM_ACTOR)
request_id_var: ContextVar[Optional[str]] = ContextVar("request_id", default=None)


@contextmanager
def acting_as(actor: str, request_id: Optional[str] = None) -> Iterator[None]:
    """Record `actor` and `request_id` on every event triggered inside the block."""
    actor_token = actor_var.set(actor)
    request_token = request_id_var.set(request_id)
    try:
        yield
    finally:
        actor_var.reset(actor_token)
        request_id_var.reset(request_token)
