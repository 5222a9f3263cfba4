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
    # Entries of one group fold into one drop-down under this label (marked with N_, translated
    # when shown), placed where its first entry would be: a bureau's many pages stay on one line.
    group: str | None = None


@dataclass(frozen=True)
class NavGroup:
    label: str  # marked with N_: the template translates it
    entries: tuple[NavEntry, ...]


_entries: list[NavEntry] = []


def nav_entry(endpoint: str, label, roles, order: int = 50, *, group=None) -> None:
    if not any(e.endpoint == endpoint for e in _entries):
        _entries.append(NavEntry(endpoint, label, frozenset(roles), order, group))


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


def menu_tree_for_current_user() -> list[NavEntry | NavGroup]:
    """The menu with each group's entries folded under it; a group of one entry stays an entry."""
    order: list[NavEntry | str] = []
    grouped: dict[str, list[NavEntry]] = {}
    for entry in menu_for_current_user():
        if entry.group is None:
            order.append(entry)
            continue
        key = entry.group
        if key not in grouped:
            grouped[key] = []
            order.append(key)
        grouped[key].append(entry)
    tree: list[NavEntry | NavGroup] = []
    for item in order:
        if isinstance(item, NavEntry):
            tree.append(item)
        elif len(grouped[item]) == 1:
            tree.append(grouped[item][0])
        else:
            tree.append(NavGroup(item, tuple(grouped[item])))
    return tree


def init_navigation(app) -> None:
    app.jinja_env.globals.update(
        menu_for_current_user=menu_for_current_user, menu_tree_for_current_user=menu_tree_for_current_user
    )
