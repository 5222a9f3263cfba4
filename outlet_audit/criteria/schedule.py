"""Which edition new applications use on a day, from the administrator's recorded choices. Pure.

The admin chooses an edition explicitly, either from today or from a later day (a schedule);
every choice is kept. On a day, the most recent choice that has begun decides, provided its
edition is in the folder and in effect that day. When it is not (it ended, it was removed, its
file now starts later), the app falls back to the most recent earlier choice that is, and says
so; when none is, no edition is in use and new applications are refused. A file dropped into
the folder is never used until it is chosen.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from outlet_audit.criteria.model import Edition


@dataclass(frozen=True)
class Choice:
    """One recorded choice: from `active_from` on, new applications use `edition_id`."""

    id: int
    edition_id: str
    active_from: date | None  # None: from the start (the choice recorded at installation)

    def begun(self, on: date) -> bool:
        return self.active_from is None or self.active_from <= on

    @property
    def order(self) -> tuple[date, int]:
        """Later days first decide; of two choices for the same day, the later one."""
        return (self.active_from or date.min, self.id)


@dataclass(frozen=True)
class EditionInUse:
    """What new applications use on `on`, and why."""

    on: date
    edition: Edition | None  # None: no chosen edition is in effect, new applications are refused
    latest: Choice | None  # the most recent choice begun by `on` (None: nothing chosen yet)

    @property
    def fallback(self) -> bool:
        """The latest choice cannot be used that day, so an earlier one (or none) stands in."""
        return self.latest is not None and (self.edition is None or self.edition.id != self.latest.edition_id)


def edition_in_use(choices: Iterable[Choice], editions: Mapping[str, Edition], on: date) -> EditionInUse:
    begun = sorted((c for c in choices if c.begun(on)), key=lambda c: c.order, reverse=True)
    latest = begun[0] if begun else None
    for choice in begun:
        edition = editions.get(choice.edition_id)
        if edition is not None and edition.is_effective(on):
            return EditionInUse(on, edition, latest)
    return EditionInUse(on, None, latest)


def pending_choices(choices: Iterable[Choice], on: date) -> list[Choice]:
    """Choices scheduled for a later day, soonest first."""
    return sorted((c for c in choices if not c.begun(on)), key=lambda c: c.order)


@dataclass(frozen=True)
class EndNotice:
    """The edition in use ends soon and nothing chosen takes over the next day."""

    edition: Edition
    ends_on: date
    then: Edition | None  # what new applications fall back to the day after (None: refused)

    @property
    def next_day(self) -> date:
        return self.ends_on + timedelta(days=1)


def end_notice(
    choices: Iterable[Choice], editions: Mapping[str, Edition], today: date, days: int
) -> EndNotice | None:
    """A notice when the edition in use ends within `days` days and the day after it ends would fall
    back (to an earlier choice, or to none) instead of using a choice scheduled to take over."""
    choices = list(choices)
    now = edition_in_use(choices, editions, today)
    if now.edition is None or now.edition.effective_until is None:
        return None
    ends_on = now.edition.effective_until
    if (ends_on - today).days > days:
        return None
    after = edition_in_use(choices, editions, ends_on + timedelta(days=1))
    if after.edition is not None and not after.fallback:
        return None
    return EndNotice(now.edition, ends_on, after.edition)
