"""How long an account waits after failed sign-ins in a row. Pure: no Flask, no database.

The first few failures cost nothing (typing mistakes happen); from then on every failure earns a
wait that doubles, up to a ceiling, and ends by itself. A guesser gets a handful of tries an hour
per account; the owner is never locked out for good, and a browser the owner signed in with
before is not made to wait at all (accounts/known_devices.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

# A streak whose last wait ended this long ago starts again: an old attack does not make today's
# first typing mistake cost the full ceiling.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int  # failures in a row that cost nothing
    base_seconds: int  # the first wait
    max_seconds: int  # the ceiling

    @classmethod
    def from_config(cls, config) -> "ThrottleRule":
        return cls(
            free_failures=max(1, config["LOGIN_THROTTLE_AFTER_FAILURES"]),
            base_seconds=max(1, config["LOGIN_THROTTLE_BASE_SECONDS"]),
            max_seconds=max(1, config["LOGIN_THROTTLE_MAX_SECONDS"]),
        )

    def wait_after(self, failures: int) -> timedelta | None:
        """The wait that the `failures`-th failure in a row earns, or None while it is free."""
        if failures < self.free_failures:
            return None
        doublings = min(failures - self.free_failures, 32)  # 2**32 s is past any ceiling already
        return timedelta(seconds=min(self.base_seconds * 2**doublings, self.max_seconds))

    def blocked_until(self, failures: int, now: datetime) -> datetime | None:
        wait = self.wait_after(failures)
        return now + wait if wait is not None else None
