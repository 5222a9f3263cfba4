"""Language: Simplified Chinese unless the user chose English (kept on their account and session)."""

from flask import current_app, session
from flask_babel import get_locale
from flask_login import current_user

from outlet_audit.extensions import babel
from outlet_audit.text import Message


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """'zh' or 'en': which side of a bilingual text (criteria data, district names) to show."""
    return "en" if str(get_locale()).startswith("en") else "zh"


def translate_message(message: Message) -> str:
    """Translate a message made by pure code, filling in its parameters."""
    from flask_babel import gettext

    return gettext(message.template, **message.params)


def init_babel(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(current_language=current_language)
    app.jinja_env.filters["message"] = translate_message
