"""One-time codes people read and type (invitation codes, recovery codes). Pure: no Flask, no database.

Letters and digits that cannot be read as one another (no 0/O, 1/I/L): 31 symbols, about 5 bits
each. A code is shown in groups of four and accepted in any case, with or without the dashes and
spaces between groups. Only its SHA-256 is ever stored: the codes are random and long enough that
a fast hash gives nothing away.
"""

import hashlib
import secrets

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUP = 4


def random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(typed: str | None) -> str:
    """A code as typed (any case, with or without dashes and spaces) in its one stored form."""
    return "".join(char for char in (typed or "").upper() if char.isalnum())


def grouped(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()
