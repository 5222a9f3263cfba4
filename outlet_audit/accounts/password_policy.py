"""The one password policy (OWASP ASVS 2.1), for every way a password is set: registration, the
administrator's form, the user's own change and the command line.

Length counts, composition rules do not (ASVS 2.1.9): a long passphrase of ordinary words is
welcome, "Password1!" is not. zxcvbn estimates how quickly a password falls to a guessing attack
that knows common passwords, words, names, keyboard walks, dates and the account's own names; its
feedback is English prose, so its findings are mapped to messages of our own, translated where
they are shown. Pure: no Flask, no database.
"""

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from outlet_audit.text import N_, Message

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # ASVS asks for at least 64; zxcvbn's cost grows with the length
MIN_ZXCVBN_SCORE = 3  # 0-4; 3: "safely unguessable", about 10^8 guesses and more
# Names shorter than this are too common inside ordinary passphrases to be refused ("li", "an").
MIN_NAME_PART = 3

TOO_SHORT = N_("Use at least %(n)d characters.")
TOO_LONG = N_("Use at most %(n)d characters.")
UNUSABLE_CHARACTERS = N_("The password contains characters that cannot be stored. Type it again.")
CONTAINS_NAME = N_("Do not use your username or your name in the password.")
ADVICE = {
    "common": N_("This password is, or is built on, a very common password. Choose another one."),
    "name": N_("Do not use your username or your name in the password."),
    "word": N_("Common words and names alone are easy to guess. Add more unrelated words."),
    "keyboard": N_("Keyboard patterns such as qwerty are easy to guess. Choose another password."),
    "repeat": N_("Repeated characters or words are easy to guess. Choose another password."),
    "sequence": N_("Sequences such as abc or 12345 are easy to guess. Choose another password."),
    "date": N_("Years and dates are easy to guess. Choose another password."),
    "weak": N_(
        "This password is too easy to guess. A passphrase of three or four unrelated words works well."
    ),
}


def name_parts(names: Iterable[str | None]) -> list[str]:
    """The account's username and the parts of its display name, lower case, long enough to matter."""
    parts = []
    for name in names:
        for part in re.split(r"[\s._@-]+", (name or "").strip().lower()):
            if len(part) >= MIN_NAME_PART and part not in parts:
                parts.append(part)
        whole = (name or "").strip().lower()
        if len(whole) >= MIN_NAME_PART and whole not in parts:
            parts.append(whole)
    return parts


def password_problem(password: str, names: Iterable[str | None] = ()) -> Message | None:
    """Why `password` may not be used by the account with these names, or None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message(TOO_SHORT, {"n": MIN_PASSWORD_LENGTH})
    if len(password) > MAX_PASSWORD_LENGTH:
        return Message(TOO_LONG, {"n": MAX_PASSWORD_LENGTH})
    try:
        password.encode("utf-8")  # a lone surrogate (from a mis-encoded terminal) cannot be hashed
    except UnicodeEncodeError:
        return Message(UNUSABLE_CHARACTERS)
    parts = name_parts(names)
    lowered = password.lower()
    if any(part in lowered for part in parts):
        return Message(CONTAINS_NAME)
    result = zxcvbn(password, user_inputs=parts, max_length=MAX_PASSWORD_LENGTH)
    if result["score"] >= MIN_ZXCVBN_SCORE:
        return None
    return Message(ADVICE[_weakness(result["sequence"])])


def _weakness(matches: list[dict]) -> str:
    """Name what makes a weak password weak: its longest recognised piece."""
    recognised = [match for match in matches if match["pattern"] != "bruteforce"]
    if not recognised:
        return "weak"
    match = max(recognised, key=lambda m: len(m["token"]))
    pattern = match["pattern"]
    if pattern == "dictionary":
        source = match.get("dictionary_name")
        if source == "passwords":
            return "common"
        return "name" if source == "user_inputs" else "word"
    return {
        "spatial": "keyboard",
        "repeat": "repeat",
        "sequence": "sequence",
        "regex": "date",
        "date": "date",
    }.get(pattern, "weak")
