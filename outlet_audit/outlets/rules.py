"""What a well-formed outlet record looks like. Pure: shared by forms, the import and the tests."""

import re

# Express business permits (快递业务经营许可) and outlet filings (末端网点备案) carry letters,
# digits, hyphens and sometimes the province's character (沪). At least four digits: a permit
# "number" without numbers is a typo.
PERMIT_NUMBER_RE = re.compile(r"^[0-9A-Z\u4e00-\u9fff][0-9A-Z\u4e00-\u9fff-]{4,38}[0-9A-Z]$")
# Mainland mobile numbers, or landlines with optional area code (021 for Shanghai).
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|(0\d{2,3}-?)?\d{7,8})$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def normalise_permit_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper().replace("－", "-")


def is_valid_permit_number(value: str) -> bool:
    value = normalise_permit_number(value)
    return bool(PERMIT_NUMBER_RE.match(value)) and sum(ch.isdigit() for ch in value) >= 4


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value or "")


def is_valid_phone(value: str) -> bool:
    return bool(PHONE_RE.match(normalise_phone(value)))
