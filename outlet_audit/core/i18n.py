"""Language: Simplified Chinese unless the user chose English (kept on their account and session)."""

import re
from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_time
from flask import current_app, g, has_request_context, session
from flask_babel import Domain, get_babel, get_locale, get_translations, to_user_timezone
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from outlet_audit.extensions import babel
from outlet_audit.text import Message


def select_locale() -> Locale:
    languages = current_app.config["LANGUAGES"]
    user = current_user._get_current_object() if current_user else None
    if user is not None and user.is_authenticated and user.locale in languages:
        return parsed_locale(user.locale)
    chosen = session.get("locale")
    if chosen in languages:
        return parsed_locale(chosen)
    return parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=16)
def parsed_locale(identifier: str) -> Locale:
    """The Locale of a configured language, parsed once per process: Flask-Babel would parse the
    selector's string on every request, and Babel's parse compares it with each of its ~800
    locale names (about 0.2 ms a request). Locale.parse passes a Locale through as it is."""
    return Locale.parse(identifier)


def current_language() -> str:
    """'zh' or 'en': which side of a bilingual text (criteria data, district names) to show."""
    return "en" if str(request_locale()).startswith("en") else "zh"


def translate_message(message: Message) -> str:
    """Translate a message made by pure code, filling in its parameters.

    A parameter may itself be a message, or a tuple of them (sentences, joined by a space):
    a refusal that lists what is missing names each thing in the reader's language too.
    """
    from flask_babel import gettext

    params = readable_params(message.params)
    return gettext(message.template, **{name: _translated(value) for name, value in params.items()})


def _translated(value):
    if isinstance(value, Message):
        return translate_message(value)
    if isinstance(value, tuple) and value and all(isinstance(part, Message) for part in value):
        # Sentences: Chinese ones end in 。 and follow each other without a space.
        return ("" if current_language() == "zh" else " ").join(translate_message(part) for part in value)
    return value


def request_locale():
    """The request's locale as Flask-Babel chose it, without its three context-local lookups."""
    if not has_request_context():
        return get_locale()
    # Flask-Babel keeps the locale here once chosen (and swaps it inside force_locale).
    babel_state = g._get_current_object().__dict__.get("_flask_babel")
    return getattr(babel_state, "babel_locale", None) or get_locale()


class RequestCatalogDomain(Domain):
    """Flask-Babel's message domain, finding the request's catalog where `request_catalog` keeps it.

    Every gettext() and lazy string of Python code (labels, flashes, form errors) asks the domain
    for the translations: Flask-Babel looks up its state on `g`, the locale and its identifier and
    the catalog cache each time (about 10 µs; a list page asks a hundred times). Outside a request,
    or when the locale changed (force_locale), it asks Flask-Babel as before.
    """

    def get_translations(self):
        return _kept_catalog(super().get_translations)


def request_catalog():
    """The translations templates use, looked up once per request and locale.

    Flask-Babel finds its state on `g`, the domain, the locale and the catalog cache again for
    every string (about 7 µs; a list page asks for hundreds). The catalog is kept on `g` together
    with the locale it belongs to, so `force_locale` blocks (mail, exports) still get their own.
    """
    return _kept_catalog(get_translations)


def _kept_catalog(lookup):
    """The catalog `lookup` finds, kept on `g` with its locale for the rest of the request."""
    if not has_request_context():
        return lookup()
    locale = request_locale()
    request_globals = g._get_current_object()
    kept = request_globals.__dict__.get("_template_catalog")
    if kept is None or kept[0] is not locale:
        kept = (locale, lookup())
        request_globals._template_catalog = kept
    return kept[1]


@pass_context
def template_gettext(context, string: str, **variables) -> str:
    """`_()` in templates: what Jinja's newstyle gettext does, in one call instead of three."""
    translated = request_catalog().ugettext(string)
    if context.eval_ctx.autoescape:
        # As Jinja's own newstyle gettext: the catalog is trusted, the variables are escaped by %.
        translated = Markup(translated)  # noqa: S704
    if not variables and "%" not in translated:
        return translated  # what % {} would give, without its cost (most strings of a page)
    return translated % variables


# Dates as readers here write them: 2026年12月6日 and 6 Dec 2026, never 2026/12/6 or 12/6/26
# (which a reader of either language can take for 12 June). English takes the British order,
# day month year; times are on the 24-hour clock. A "short" request gets the medium form: no
# page, mail or notification shows a date as numbers alone.
_FORMATTING_LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _formatting_locale(locale) -> str:
    return _FORMATTING_LOCALES.get(str(locale).split("_")[0], str(locale))


def _width(format) -> str:
    return "medium" if format in (None, "short") else format


# Lists show the same few dates over and over; Babel's formatting (time zone, pattern, locale
# data) costs ~15 µs each. The result depends only on the value, the format and the locale
# (the time zone is the application's, Asia/Shanghai), so it is kept.
@lru_cache(maxsize=8192)
def _readable_date(value: date, format, locale: str) -> str:
    if isinstance(value, datetime):  # a UTC moment: the day it was in Shanghai
        value = to_user_timezone(value).date()
    return format_date(value, _width(format), locale=locale)


@lru_cache(maxsize=8192)
def _readable_datetime(value: datetime, format, locale: str) -> str:
    moment = to_user_timezone(value)
    width = _width(format)
    clock = format_time(moment, "HH:mm" if width == "medium" else "HH:mm:ss", locale=locale)
    return f"{format_date(moment.date(), width, locale=locale)} {clock}"


def readable_date(value: date, format=None) -> str:
    """The `dateformat` filter: a day in the reader's form (2026年12月6日, 6 Dec 2026)."""
    return _readable_date(value, format, _formatting_locale(request_locale()))


def readable_datetime(value: datetime, format=None) -> str:
    """The `datetimeformat` filter: a UTC moment in Shanghai time, in the reader's form."""
    return _readable_datetime(value, format, _formatting_locale(request_locale()))


def readable_params(params: dict) -> dict:
    """A stored message's parameters as the reader reads them: ISO days become their dates.

    Notifications keep their parameters as JSON (a day as "2026-12-20", a label as {"label": its
    English text}, a name as {"zh": ..., "en": ...}); they are shown, and mailed, in each reader's
    language long after they were written.
    """
    return {name: _readable_value(value) for name, value in params.items()}


def _readable_value(value):
    """A day (a date, or its ISO text) as the reader writes it; anything else as it is. A text that
    only looks like a day ("2025-02-30", an item code a user typed) stays text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return readable_date(value)
    if isinstance(value, dict):  # a label kept by its English text, or a name kept in both languages
        from flask_babel import gettext

        english = value.get("label")  # named apart: pybabel would take a literal inside gettext() as a msgid
        if english is not None:
            return gettext(english)
        if "zh" in value:
            return value["zh"] if current_language() == "zh" else value.get("en") or value["zh"]
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return readable_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value


def init_babel(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    if not isinstance(
        babel.__dict__.get("domain_instance"), RequestCatalogDomain
    ):  # one per process, as theirs
        babel.domain_instance = RequestCatalogDomain(domain=get_babel(app).default_domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_catalog().ugettext(s),
        ngettext=lambda s, p, n: request_catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalog().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, current_language=current_language
    )
    app.jinja_env.filters.update(
        message=translate_message, dateformat=readable_date, datetimeformat=readable_datetime
    )
