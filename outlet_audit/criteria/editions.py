"""Editions inside the app: the edition new applications use (the administrator's recorded choice,
criteria/schedule.py), and the stored snapshot each application pins."""

import time
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from outlet_audit.audit.operations import record
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.loader import CriteriaError, CriteriaRefused, edition_files, load_editions
from outlet_audit.criteria.model import Edition
from outlet_audit.criteria.schedule import Choice, EditionInUse, edition_in_use
from outlet_audit.criteria.stored import EditionChoice, StoredEdition
from outlet_audit.extensions import db
from outlet_audit.text import N_, Message

# What pages say about the rules (the footer on every page) comes from the edition in use, read at
# most this often per worker: a change made in another worker shows within this time, and pages
# cost no query for it. New applications and the admin's page always read the choice afresh.
CITATION_CACHE_SECONDS = 60


class NoEditionInEffect(LookupError):
    """No chosen edition is in effect: new applications cannot be opened until the admin chooses one."""

    def __init__(self, state: EditionInUse):
        latest = state.latest.edition_id if state.latest else "none"
        super().__init__(f"no chosen criteria edition is in effect on {state.on} (latest choice: {latest})")
        self.state = state


def available_editions() -> dict[str, Edition]:
    """Every valid edition in the criteria folder (CriteriaError if any file is invalid).

    Parsing and validating the YAML takes a noticeable fraction of a second, so the result is
    kept until a file in the folder is added, removed or changed.
    """
    folder = Path(current_app.config["CRITERIA_DIR"])
    return _load_editions_cached(str(folder), _folder_signature(folder))


def _folder_signature(folder: Path) -> tuple:
    """Name, change time and size of each file `load_editions` reads: any edit gives a new key."""
    return tuple((p.name, (st := p.stat()).st_mtime_ns, st.st_size) for p in edition_files(folder))


@lru_cache(maxsize=8)
def _load_editions_cached(folder: str, _signature: tuple) -> dict[str, Edition]:
    return load_editions(Path(folder))


def recorded_choices() -> list[Choice]:
    rows = db.session.execute(
        select(EditionChoice.id, EditionChoice.edition_id, EditionChoice.active_from).order_by(
            EditionChoice.id
        )
    )
    return [Choice(id=row.id, edition_id=row.edition_id, active_from=row.active_from) for row in rows]


def edition_state(on: date | None = None) -> EditionInUse:
    """What new applications use on a day (default today), read afresh from the recorded choices."""
    today = today_in_shanghai()
    state = edition_in_use(recorded_choices(), available_editions(), on or today)
    if state.on == today:
        _remember(state)
    return state


def active_edition() -> Edition:
    """The edition new applications use today; NoEditionInEffect when no chosen edition is in effect."""
    state = edition_state()
    if state.edition is None:
        raise NoEditionInEffect(state)
    return state.edition


def reporting_edition() -> Edition:
    """The edition the dashboards label their item figures with.

    Figures describe applications already made, so they must still show when no chosen edition is in
    effect for new ones (the admin page says so): then the latest chosen edition stands in, or, with
    nothing chosen that is still in the folder, the newest edition there.
    """
    state = edition_state()
    if state.edition is not None:
        return state.edition
    editions = available_editions()
    latest = state.latest and editions.get(state.latest.edition_id)
    if latest is not None:
        return latest
    return max(editions.values(), key=lambda e: (e.effective_from, e.id))


def choose_active_edition(edition_id: str, active_from: date | None = None, *, actor=None) -> EditionChoice:
    """Record the admin's choice: new applications use this edition from `active_from` (default today).

    The edition must be in the folder and in effect on that day: a future edition is scheduled for a
    day it is in effect, never made active before. The choice is audited; CriteriaRefused says why not.
    """
    today = today_in_shanghai()
    day = active_from or today
    edition = available_editions().get(edition_id)
    if edition is None:
        raise CriteriaRefused(Message(N_("There is no such edition in the criteria folder.")))
    if day < today:
        raise CriteriaRefused(Message(N_("Choose today or a later day.")))
    if not edition.is_effective(day):
        raise CriteriaRefused(_not_in_effect(edition, day))
    if day > today and any(c.active_from == day for c in recorded_choices()):
        raise CriteriaRefused(
            Message(
                N_("An edition is already scheduled from %(date)s; withdraw it first."),
                {"date": day.isoformat()},
            )
        )
    before = edition_state(day).edition
    choice = EditionChoice(edition_id=edition_id, active_from=day, chosen_by_id=getattr(actor, "id", None))
    db.session.add(choice)
    db.session.flush()
    record(
        "criteria_edition_activated" if day == today else "criteria_edition_scheduled",
        actor=actor,
        subject_type="criteria_edition_choice",
        subject_id=choice.id,
        field="active_edition" if day == today else f"active_edition from {day.isoformat()}",
        old=before.id if before else None,
        new=edition_id,
    )
    forget_cached_state()
    return choice


def withdraw_choice(choice_id: int, *, actor) -> EditionChoice:
    """Withdraw a choice scheduled for a later day (deleted; the audit trail keeps it)."""
    choice = db.session.get(EditionChoice, choice_id)
    if choice is None or choice.active_from is None or choice.active_from <= today_in_shanghai():
        raise CriteriaRefused(
            Message(
                N_(
                    "Only an edition scheduled for a later day can be withdrawn;"
                    " choose another edition instead."
                )
            )
        )
    record(
        "criteria_edition_schedule_withdrawn",
        actor=actor,
        subject_type="criteria_edition_choice",
        subject_id=choice.id,
        field=f"active_edition from {choice.active_from.isoformat()}",
        old=choice.edition_id,
        new=None,
    )
    db.session.delete(choice)
    db.session.flush()
    forget_cached_state()
    return choice


def _not_in_effect(edition: Edition, day: date) -> Message:
    if edition.effective_until is None:
        return Message(
            N_(
                "%(edition)s is not in effect on %(date)s: it takes effect on %(start)s."
                " Schedule it from then."
            ),
            {"edition": edition.id, "date": day.isoformat(), "start": edition.effective_from.isoformat()},
        )
    return Message(
        N_("%(edition)s is not in effect on %(date)s: it is in effect from %(start)s to %(end)s."),
        {
            "edition": edition.id,
            "date": day.isoformat(),
            "start": edition.effective_from.isoformat(),
            "end": edition.effective_until.isoformat(),
        },
    )


# --- the cached state, for what pages say -----------------------------------------------------

_remembered: dict[tuple[str, str], tuple[float, EditionInUse | None]] = {}


def _cache_key() -> tuple[str, str]:
    config = current_app.config
    return (str(config["SQLALCHEMY_DATABASE_URI"]), str(config["CRITERIA_DIR"]))


def _remember(state: EditionInUse | None) -> None:
    _remembered[_cache_key()] = (time.monotonic() + CITATION_CACHE_SECONDS, state)


def forget_cached_state() -> None:
    _remembered.pop(_cache_key(), None)


def cached_edition_state() -> EditionInUse | None:
    """The edition in use today as read at most CITATION_CACHE_SECONDS ago; None when it cannot be read.

    Only for what pages say: it never raises, since it is read on every page, error pages included.
    A failure is remembered too, so an invalid folder is not parsed again on every page.
    """
    hit = _remembered.get(_cache_key())
    if hit is not None and hit[0] > time.monotonic() and (hit[1] is None or hit[1].on == today_in_shanghai()):
        return hit[1]
    try:
        with db.session.begin_nested():  # a failed read must not spoil the request's transaction
            return edition_state()
    except (CriteriaError, SQLAlchemyError, OSError) as error:
        current_app.logger.warning("The criteria edition in use could not be read: %s", error)
        _remember(None)
        return None


def rule_citation(lang: str) -> str | None:
    """The rule the edition in use implements, as pages cite it; None when no edition is in use."""
    state = cached_edition_state()
    return state.edition.rule.get(lang) if state and state.edition else None


# --- snapshots ------------------------------------------------------------------------------------


def store_edition(edition: Edition) -> StoredEdition:
    """The snapshot row for this exact content, created on first use."""
    stored = db.session.scalar(
        select(StoredEdition).where(StoredEdition.content_hash == edition.content_hash)
    )
    if stored is None:
        stored = StoredEdition(
            edition_id=edition.id, content_hash=edition.content_hash, snapshot=edition.to_snapshot()
        )
        db.session.add(stored)
        db.session.flush()
    return stored


@lru_cache(maxsize=64)
def _edition_from_snapshot(content_hash: str, stored_id: int) -> Edition:
    stored = db.session.get(StoredEdition, stored_id)
    return Edition.from_snapshot(stored.snapshot, source=f"snapshot {content_hash[:12]}")


def pinned_edition(stored: StoredEdition) -> Edition:
    """The edition an application was made against, rebuilt from its snapshot (never the file)."""
    return _edition_from_snapshot(stored.content_hash, stored.id)
