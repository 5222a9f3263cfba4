"""The menu: each feature registers its entries with the roles that see them."""

from dataclasses import dataclass

from flask import current_app
from flask_login import current_user

from outlet_audit.access import admits_agency, rule_for_endpoint
from outlet_audit.roles import Role


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object  # a lazy translation
    roles: frozenset[Role]
    order: int = 50


_entries: list[NavEntry] = []


def nav_entry(endpoint: str, label, roles, order: int = 50) -> None:
    if not any(e.endpoint == endpoint for e in _entries):
        _entries.append(NavEntry(endpoint, label, frozenset(roles), order))


def menu_for_current_user() -> list[NavEntry]:
    if not current_user.is_authenticated:
        return []
    known = current_app.view_functions
    return sorted(
        (
            e
            for e in _entries
            if current_user.role in e.roles
            and e.endpoint in known
            and admits_agency(rule_for_endpoint(current_app, e.endpoint), current_user)
        ),
        key=lambda e: e.order,
    )


def init_navigation(app) -> None:
    app.jinja_env.globals.update(menu_for_current_user=menu_for_current_user)
