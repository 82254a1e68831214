"""Per-organization limits counted in a store every service process shares (the `limits` library).

`CLOUDSIGNAL_RATELIMIT_STORAGE` names the store: `memory://` (the default; right for one process,
as `make run` with SQLite) or `redis://host:port` when several processes serve one organization.
Fixed one-minute windows: the reply headers say how many requests remain and when the window resets.
"""

import logging
import time
from dataclasses import dataclass
from typing import Optional

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger("cloudsignal.ratelimit")


@dataclass(frozen=True)
class Window:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds

    @property
    def retry_after(self) -> int:
        return max(1, self.reset - int(time.time()))


class OrganizationLimiter:
    def __init__(self, storage_uri: str):
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, counter: str, org_id: str, per_minute: int, cost: int = 1) -> Optional[Window]:
        """Count `cost` against the organization's `counter`; None when the store is unreachable
        (requests then pass: an outage of the counter must not take the API down)."""
        item = RateLimitItemPerMinute(per_minute)
        try:
            allowed = self.limiter.hit(item, counter, org_id, cost=cost)
            stats = self.limiter.get_window_stats(item, counter, org_id)
        except Exception as error:  # the storage backends raise their own connection errors
            log.warning("rate limit store unreachable, not counting: %s", error)
            return None
        return Window(allowed, per_minute, stats.remaining, int(stats.reset_time))

    def used(self, counter: str, org_id: str, per_minute: int) -> int:
        item = RateLimitItemPerMinute(per_minute)
        try:
            return per_minute - self.limiter.get_window_stats(item, counter, org_id).remaining
        except Exception:
            return 0
