"""Per-organization limits counted in a store every service process shares (the `limits` library).

`CLOUDSIGNAL_RATELIMIT_STORAGE` names the store: `memory://` (the default; right for one process,
as `make run` with SQLite) or `redis://host:port` when several processes serve one organization.
Fixed one-minute windows: the reply headers say how many requests remain and when the window resets.
A limit of None is no limit: the use is still counted (the organization's usage shows it), nothing
is refused and no window is reported.
"""

import logging
import time
from dataclasses import dataclass
from typing import Optional

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger("cloudsignal.ratelimit")
UNLIMITED_WINDOW = 2 ** 62  # what an unlimited counter is counted against: never reached


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

    def hit(self, counter: str, org_id: str, per_minute: Optional[int], cost: int = 1) -> Optional[Window]:
        """Count `cost` against the organization's `counter`; None when there is no limit or the
        store is unreachable (requests then pass: an outage of the counter must not take the API down)."""
        item = RateLimitItemPerMinute(UNLIMITED_WINDOW if per_minute is None else per_minute)
        try:
            allowed = self.limiter.hit(item, counter, org_id, cost=cost)
            if per_minute is None:
                return None
            stats = self.limiter.get_window_stats(item, counter, org_id)
        except Exception as error:  # the storage backends raise their own connection errors
            log.warning("rate limit store unreachable, not counting: %s", error)
            return None
        return Window(allowed, per_minute, stats.remaining, int(stats.reset_time))

    def used(self, counter: str, org_id: str, per_minute: Optional[int]) -> int:
        limit = UNLIMITED_WINDOW if per_minute is None else per_minute
        try:
            return limit - self.limiter.get_window_stats(RateLimitItemPerMinute(limit), counter, org_id).remaining
        except Exception:
            return 0
