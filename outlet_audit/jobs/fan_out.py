"""A notice to many people (more than NOTIFY_INLINE_USERS), written after the commit that caused it."""

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db
from outlet_audit.jobs.registry import job
from outlet_audit.notifications.operations import notify_now


@job("notifications.fan_out", retries=3)
def fan_out(user_ids: list[int], kind: str, template: str, link: str | None, params: dict) -> None:
    """Write the notice for each of them still active (and queue their mail), as one transaction."""
    users = db.session.scalars(
        select(User).where(User.id.in_(user_ids), User.active.is_(True)).order_by(User.id)
    ).all()
    notify_now(users, kind, template, link, params)
