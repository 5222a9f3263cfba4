"""Certificate numbers: one printable, parseable id per certificate.

Format: ``WFKD-<year>-<district>-<level>-<sequence>``, e.g. ``WFKD-2025-FX-Q-0007``.

- ``WFKD``: 无废快递 (zero-waste express delivery), fixed prefix.
- ``<year>``: four digits, the year of certification, 2000 to 2099.
- ``<district>``: two-letter code of one of Shanghai's 16 districts (`DISTRICT_CODES`).
- ``<level>``: ``Q`` = 区级 (district level), ``S`` = 市级 (city level).
- ``<sequence>``: four digits, 0001 to 9999, counted per (year, district, level).

The number is unique as long as the caller never reuses a sequence within one
(year, district, level); the database should also keep the number itself unique.
Only ASCII letters, digits and hyphens appear, so the number survives copying
from a PDF, reading aloud and typing into the public verification page.
"""

import re
from dataclasses import dataclass

from outlet_audit.workflow.states import Level

PREFIX = "WFKD"
MIN_YEAR = 2000
MAX_YEAR = 2099
MAX_SEQUENCE = 9999


LEVEL_LETTERS: dict[Level, str] = {Level.DISTRICT: "Q", Level.CITY: "S"}
_LEVEL_BY_LETTER = {letter: level for level, letter in LEVEL_LETTERS.items()}

# The codes a number may carry, so that a number is checked without the database. The districts
# themselves (names, order) are the `districts` rows the first migration wrote; a test keeps these
# codes the same as theirs.
DISTRICT_CODES = frozenset(
    {"HP", "XH", "CN", "JA", "PT", "HK", "YP", "MH", "BS", "JD", "PD", "JS", "SJ", "QP", "FX", "CM"}
)

_NUMBER_PATTERN = re.compile(
    rf"{PREFIX}-(?P<year>[0-9]{{4}})-(?P<district>[A-Z]{{2}})-(?P<level>[A-Z])-(?P<sequence>[0-9]{{4}})"
)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CertificateNumber:
    year: int
    district_code: str
    level: Level
    sequence: int

    def __str__(self) -> str:
        return certificate_number(self.year, self.district_code, self.level, self.sequence)


def certificate_number(year: int, district_code: str, level: str, sequence: int) -> str:
    """Format a certificate number; raise ValueError for anything outside the scheme."""
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be an integer from {MIN_YEAR} to {MAX_YEAR}, got {year!r}")
    if district_code not in DISTRICT_CODES:
        raise ValueError(f"unknown district code {district_code!r}")
    try:
        letter = LEVEL_LETTERS[Level(level)]
    except ValueError:
        raise ValueError(f"level must be 'district' or 'city', got {level!r}") from None
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be an integer from 1 to {MAX_SEQUENCE}, got {sequence!r}")
    return f"{PREFIX}-{year:04d}-{district_code}-{letter}-{sequence:04d}"


def parse_certificate_number(text: str) -> CertificateNumber | None:
    """Read a number typed or pasted by anyone; None unless it is a valid number.

    Letter case and whitespace anywhere are ignored; everything else must match exactly.
    """
    if not isinstance(text, str):
        return None
    compact = _WHITESPACE.sub("", text)
    # Only ASCII may be upper-cased: "ſ".upper() == "S" would otherwise sneak through.
    if not compact.isascii():
        return None
    match = _NUMBER_PATTERN.fullmatch(compact.upper())
    if match is None:
        return None
    year, sequence = int(match["year"]), int(match["sequence"])
    district_code, level = match["district"], _LEVEL_BY_LETTER.get(match["level"])
    if (
        level is None
        or district_code not in DISTRICT_CODES
        or not MIN_YEAR <= year <= MAX_YEAR
        or not 1 <= sequence <= MAX_SEQUENCE
    ):
        return None
    return CertificateNumber(year, district_code, level, sequence)
