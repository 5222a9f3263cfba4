"""What a signed-in account may reach before it is fully let in, checked on every request after
the access rules (access.py):

- an account that must sign in with a second factor and has none set up (bureaus, the city
  bureau and administrators when TWO_FACTOR_REQUIRED is on) reaches only its set-up, not even
  the public pages;
- an outlet account whose outlet is not yet verified reaches only its registration, its outlet's
  details, its notifications and its own account.
"""

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from outlet_audit.access import rule_for_endpoint
from outlet_audit.accounts.two_factor import is_enabled, is_required
from outlet_audit.roles import Role

# Reachable whatever the account still has to do.
ALWAYS_OPEN = frozenset({"accounts.logout", "core.set_language", "static", "bootstrap.static"})
# What an account that must set up its second factor reaches.
TWO_FACTOR_SET_UP = frozenset({"two_factor.index", "two_factor.start", "two_factor.confirm"})
# What an outlet account reaches while its registration waits for, or came back from, the bureau.
UNVERIFIED_OUTLET_OPEN = frozenset(
    {
        "registrations.status",
        "registrations.resubmit",
        "outlets.profile",
        "notifications.index",
        "notifications.open_notification",
        "notifications.mark_read",
        "notifications.mark_all_read",
        "accounts.password",
    }
)


def outlet_is_verified(user) -> bool:
    verified = getattr(user, "outlet_verified_at_load", None)  # read with the user (accounts.session)
    return bool(user.outlet.verified if verified is None else verified)


def gate():
    """Send an account that may not use this page yet to the page where it can go on."""
    endpoint = request.endpoint
    if not current_user.is_authenticated or endpoint is None or endpoint in ALWAYS_OPEN:
        return None
    if endpoint not in TWO_FACTOR_SET_UP and is_required(current_user) and not is_enabled(current_user):
        return redirect(url_for("two_factor.index"))
    rule = rule_for_endpoint(current_app, endpoint)
    if rule is not None and rule.public:
        return None
    if (
        current_user.role == Role.OUTLET
        and endpoint not in UNVERIFIED_OUTLET_OPEN
        and not outlet_is_verified(current_user)
    ):
        return redirect(url_for("registrations.status"))
    return None
