"""The menu: each feature registers its entries with the roles that see them."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user
from markupsafe import Markup

from outlet_audit.access import admits_agency, rule_for_endpoint
from outlet_audit.core.i18n import request_catalog, request_locale
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
    return _menu_entries(current_app, current_user._get_current_object())


def _menu_entries(app, user) -> list[NavEntry]:
    known = app.view_functions
    return sorted(
        (
            e
            for e in _entries
            if user.role in e.roles
            and e.endpoint in known
            and admits_agency(rule_for_endpoint(app, e.endpoint), user)
        ),
        key=lambda e: e.order,
    )


def menu_tree_for_current_user() -> list[NavEntry | NavGroup]:
    """The menu with each group's entries folded under it; a group of one entry stays an entry."""
    if not current_user.is_authenticated:
        return []
    return _fold(_menu_entries(current_app, current_user._get_current_object()))


def _fold(entries: list[NavEntry]) -> list[NavEntry | NavGroup]:
    order: list[NavEntry | str] = []
    grouped: dict[str, list[NavEntry]] = {}
    for entry in entries:
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


@dataclass(frozen=True)
class MenuLink:
    """An entry as the navbar draws it: its label in the reader's language and its URL."""

    endpoint: str
    label: Markup
    url: str


@dataclass(frozen=True)
class MenuDropDown:
    label: Markup
    links: tuple[MenuLink, ...]
    endpoints: frozenset[str]  # which pages mark the drop-down active


def navbar_for_current_user() -> tuple[MenuLink | MenuDropDown, ...]:
    """The menu as the navbar draws it, built once per role, organisation kind, language and site root.

    Every signed-in page draws it: finding the entries the user's rule admits, translating their
    labels and building their URLs took a tenth of a small page's time, and it depends on nothing
    else (the entries are registered at import, the rules and routes are fixed when the app is built).
    """
    if not current_user.is_authenticated:
        return ()
    user = current_user._get_current_object()
    locale = str(request_locale())
    key = (user.role, getattr(user, "agency", None), locale, request.script_root, len(_entries))
    menus = current_app.extensions.setdefault("navigation_menus", {})
    menu = menus.get(key)
    if menu is None:
        menu = menus[key] = tuple(_drawn(item) for item in _fold(_menu_entries(current_app, user)))
    return menu


def _drawn(item: NavEntry | NavGroup) -> MenuLink | MenuDropDown:
    if isinstance(item, NavGroup):
        links = tuple(_drawn(entry) for entry in item.entries)
        label = Markup(request_catalog().ugettext(item.label))  # noqa: S704 - our own catalog, as `_()` in templates
        return MenuDropDown(label, links, frozenset(link.endpoint for link in links))
    # A lazy label is drawn unescaped (its __html__), as it was when the template rendered it itself.
    return MenuLink(item.endpoint, Markup(str(item.label)), url_for(item.endpoint))  # noqa: S704


def init_navigation(app) -> None:
    app.jinja_env.globals.update(
        menu_for_current_user=menu_for_current_user,
        menu_tree_for_current_user=menu_tree_for_current_user,
        navbar_for_current_user=navbar_for_current_user,
    )
