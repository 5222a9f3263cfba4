"""Deny by default: every endpoint declares who may use it, and one check enforces it.

A view is either `@public` or `@allow({Role: Scope, ...})`. The scope says how far a role
reaches: ALL records, its OWN_DISTRICT, its OWN_OUTLET, the inspections it is ASSIGNED, or
only its own account (SELF). `enforce_access` runs before every request:

- an endpoint with no declaration is refused (403), whoever asks;
- an anonymous user on a non-public endpoint is sent to the login page;
- a role that is not listed is refused (403);
- for each URL argument that names a record (`outlet_id`, `application_id`, ...), the record's
  facts are loaded by the loader registered for that argument and checked against the scope;
  a record outside the scope answers 404, exactly as a record that does not exist, so nobody
  learns what lies beyond their reach.

Staff of the ecology and environment bureaus hold bureau roles (their district's, or the city's,
scope) but reach only the views declared `@allow(..., joint=True)`: the joint review of a case and
their approval step; every other bureau view is the postal bureaus' (`admits_agency`).

List pages have no record argument; they narrow their queries with `scope_filter` helpers
in each feature, using `current_scope()`.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from outlet_audit.roles import BUREAU_ROLES, Agency, Role


class Scope(enum.StrEnum):
    ALL = "all"
    OWN_DISTRICT = "own_district"
    OWN_OUTLET = "own_outlet"
    ASSIGNED = "assigned"
    SELF = "self"


@dataclass(frozen=True)
class AccessRule:
    public: bool
    scopes: dict[Role, Scope]
    # Open to the ecology and environment bureaus' staff too (the joint review): they hold bureau
    # roles for what they may see, but act only where a view says so (reading the case, signing
    # their approval step); every other bureau page is the postal bureaus' alone.
    joint: bool = False


@dataclass(frozen=True)
class RecordFacts:
    """Where a record sits: what the scopes are checked against."""

    district_id: int | None
    outlet_id: int | None = None
    inspector_ids: frozenset[int] = frozenset()
    # A record of several districts (a spot-check campaign): OWN_DISTRICT reaches it from any of them.
    district_ids: frozenset[int] = frozenset()


RecordLoader = Callable[[int], RecordFacts | None]
_record_loaders: dict[str, RecordLoader] = {}

ACCESS_ATTRIBUTE = "_access_rule"
# The largest id a record can have (PostgreSQL `integer`); a larger one in a URL names nothing.
MAX_RECORD_ID = 2**31 - 1
# Endpoints that come from extensions and serve static files only.
EXTENSION_PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def public(view):
    """Declare a view open to everyone, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, AccessRule(public=True, scopes={}))
    return view


def allow(scopes: dict[Role, Scope], *, joint: bool = False):
    """Declare which roles may use a view and how far each reaches; `joint`: the ecology and
    environment bureaus' staff may use it too, within the same scopes."""
    if not scopes:
        raise ValueError("allow() needs at least one role; use @public for open pages")

    def decorate(view):
        setattr(view, ACCESS_ATTRIBUTE, AccessRule(public=False, scopes=dict(scopes), joint=joint))
        return view

    return decorate


ECOLOGY_AGENCIES = frozenset({Agency.DISTRICT_ECOLOGY, Agency.CITY_ECOLOGY})


def admits_agency(rule: AccessRule, user) -> bool:
    """Whether the rule lets the user's organisation in: an ecology bureau's staff only reach views
    declared `joint`, or their own account (SELF); everyone else as their role says."""
    if rule.public or user.role not in BUREAU_ROLES or getattr(user, "agency", None) not in ECOLOGY_AGENCIES:
        return True
    return rule.joint or rule.scopes.get(user.role) is Scope.SELF


def signed_in(view):
    """Declare a view every signed-in user may use for their own account."""
    return allow(dict.fromkeys(Role, Scope.SELF))(view)


def record_loader(argument: str):
    """Register how to find the facts of the record a URL argument names."""

    def register(loader: RecordLoader) -> RecordLoader:
        if argument in _record_loaders:  # two loaders could disagree on who may see a record
            raise ValueError(f"a record loader for {argument!r} is registered already")
        _record_loaders[argument] = loader
        return loader

    return register


def registered_record_arguments() -> frozenset[str]:
    return frozenset(_record_loaders)


def rule_for_endpoint(app, endpoint: str) -> AccessRule | None:
    if endpoint in EXTENSION_PUBLIC_ENDPOINTS:
        return AccessRule(public=True, scopes={})
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def scope_admits(scope: Scope, user, facts: RecordFacts) -> bool:
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN_DISTRICT:
        return user.district_id is not None and (
            facts.district_id == user.district_id or user.district_id in facts.district_ids
        )
    if scope is Scope.OWN_OUTLET:
        return user.outlet_id is not None and facts.outlet_id == user.outlet_id
    if scope is Scope.ASSIGNED:
        return user.id in facts.inspector_ids
    return False  # SELF reaches no other record


def current_scope() -> Scope | None:
    """The scope the signed-in user has on the current endpoint."""
    rule = rule_for_endpoint(current_app, request.endpoint or "")
    if rule is None or not current_user.is_authenticated:
        return None
    return rule.scopes.get(current_user.role)


def enforce_access():
    """Refuse the request unless the endpoint's declared rule admits the current user."""
    if request.endpoint is None:
        return None  # 404 or 405 from routing; nothing to protect
    rule = rule_for_endpoint(current_app, request.endpoint)
    if rule is None:
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    scope = rule.scopes.get(current_user.role)
    if scope is None or not admits_agency(rule, current_user):
        abort(403)
    for argument, value in (request.view_args or {}).items():
        loader = _record_loaders.get(argument)
        if loader is None:
            continue
        if isinstance(value, int) and not 0 < value <= MAX_RECORD_ID:
            abort(404)  # the database cannot even be asked about it (it would raise, a 500)
        facts = loader(value)
        if facts is None or not scope_admits(scope, current_user, facts):
            abort(404)
    return None
