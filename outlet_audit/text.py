"""Messages made outside a request (pure code), translated where they are shown.

Pure modules (criteria, scoring, workflow, imports) must not import Flask, yet what they
say reaches users. They build a `Message` from an English template marked with `N_`
(so `pybabel extract -k N_` finds it) and its parameters; the web layer passes it
through `gettext(message.template, **message.params)`.

`clean_text` is the one cleaner of text people type (form fields, JSON, imported cells, file
names): pure as well, so every way text comes in cleans it the same way.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:
    """Mark a template for extraction without translating it here."""
    return template


@dataclass(frozen=True)
class Message:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class Refused(Exception):
    """An operation said no: `message` tells the user why, `field` (when known) names the culprit.

    The one base of every refusal, so one request helper (`core.requests.attempt`) can roll back,
    show the message and give the form back with what was typed, whatever feature refused.
    """

    def __init__(self, message: "Message | str", field: str | None = None):
        message = message if isinstance(message, Message) else Message(message)
        super().__init__(str(message))
        self.message = message
        self.field = field


# Line and paragraph separators other than "\n": a single-line field reads them as spaces.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def clean_text(value, *, multiline: bool = False):
    """Typed text as it is kept: what cannot be seen or stored taken out, NFC-normalised, stripped.

    Removed: lone surrogates (no encoding, and so no database, can hold them), control
    characters (a text area keeps its line breaks and tabs; a single-line field turns them into
    spaces) and format characters, the invisible ones such as bidirectional overrides and
    isolates (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and zero-width characters
    (U+200B–U+200D, U+2060, U+FEFF), which can make a name read as another or hide part of it.
    Anything that is not a str (a field's empty data, None) comes back as it is.
    """
    if not isinstance(value, str):
        return value
    kept = "\n" if multiline else " "
    text = _LINE_BREAKS.sub(kept, value)
    allowed = "\n\t" if multiline else ""
    text = "".join(
        char if char in allowed or not _is_control(char) else (" " if char in "\t\n" else "") for char in text
    )
    return unicodedata.normalize("NFC", text).strip()


def _is_control(char: str) -> bool:
    """Controls (Cc), format characters (Cf) and surrogates (Cs); private-use characters stay:
    some rare characters of Chinese names are only encoded there."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs"}
