import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlet_audit.certificates.numbering import (
    DISTRICT_CODES,
    MAX_SEQUENCE,
    CertificateNumber,
    certificate_number,
    parse_certificate_number,
)
from outlet_audit.workflow.states import Level

SHANGHAI_DISTRICTS = {
    "HP": "黄浦区",
    "XH": "徐汇区",
    "CN": "长宁区",
    "JA": "静安区",
    "PT": "普陀区",
    "HK": "虹口区",
    "YP": "杨浦区",
    "MH": "闵行区",
    "BS": "宝山区",
    "JD": "嘉定区",
    "PD": "浦东新区",
    "JS": "金山区",
    "SJ": "松江区",
    "QP": "青浦区",
    "FX": "奉贤区",
    "CM": "崇明区",
}


def test_format_of_the_example_number():
    assert certificate_number(2025, "FX", "district", 7) == "WFKD-2025-FX-Q-0007"
    assert certificate_number(2026, "PD", Level.CITY, 1234) == "WFKD-2026-PD-S-1234"


def test_numbers_know_exactly_the_sixteen_districts():
    assert set(SHANGHAI_DISTRICTS) == DISTRICT_CODES


@pytest.mark.parametrize("code", sorted(SHANGHAI_DISTRICTS))
@pytest.mark.parametrize("level", list(Level))
def test_every_district_and_level_round_trips(code, level):
    number = certificate_number(2025, code, level, 42)
    parsed = parse_certificate_number(number)
    assert parsed == CertificateNumber(2025, code, level, 42)
    assert str(parsed) == number


@pytest.mark.parametrize(
    "text",
    [
        "wfkd-2025-fx-q-0007",
        "  WFKD-2025-FX-Q-0007\n",
        "WFKD - 2025 - FX - Q - 0007",
        "W F K D-2025-Fx-q-00 07",
        "\u3000WFKD-2025-FX-Q-0007\u3000",  # full-width space pasted from a Chinese text
        "\tWfKd-2025-fX-Q-0007",
    ],
)
def test_parsing_tolerates_case_and_whitespace(text):
    assert parse_certificate_number(text) == CertificateNumber(2025, "FX", Level.DISTRICT, 7)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "WFKD-2025-FX-Q-0000",  # sequence starts at 1
        "WFKD-2025-FX-Q-007",  # four digits
        "WFKD-2025-FX-Q-00007",
        "WFKD-25-FX-Q-0007",
        "WFKD-1999-FX-Q-0007",  # before the scheme
        "WFKD-2100-FX-Q-0007",
        "WFKD-2025-XX-Q-0007",  # unknown district
        "WFKD-2025-FX-X-0007",  # unknown level
        "WFKD-2025-FX-D-0007",
        "WFKD-2025-FXQ-0007",
        "WFKD2025FXQ0007",
        "XFKD-2025-FX-Q-0007",
        "WFKD_2025_FX_Q_0007",
        "WFKD-2025-FX-Q-0007-1",
        "xWFKD-2025-FX-Q-0007",
        "WFKD\u20132025\u2013FX\u2013Q\u20130007",  # en dashes
        "WFKD-２０２５-FX-Q-0007",  # full-width digits
        "WFKD-2025-FX-Q-٠٠٠٧",  # Arabic-Indic digits match \d, not our scheme
        "WFKD-2025-FX-\u017f-0007",  # long s upper-cases to S
        "WFKD-2025-FX-Q-0007\x00",
    ],
)
def test_parsing_rejects_anything_else(text):
    assert parse_certificate_number(text) is None


@pytest.mark.parametrize("value", [None, 20250007, b"WFKD-2025-FX-Q-0007"])
def test_parsing_rejects_non_strings(value):
    assert parse_certificate_number(value) is None


@pytest.mark.parametrize(
    "year, code, level, sequence",
    [
        (1999, "FX", "district", 1),
        (2100, "FX", "district", 1),
        ("2025", "FX", "district", 1),
        (True, "FX", "district", 1),
        (2025, "fx", "district", 1),
        (2025, "XX", "district", 1),
        (2025, "奉贤", "district", 1),
        (2025, "FX", "Q", 1),
        (2025, "FX", "province", 1),
        (2025, "FX", "district", 0),
        (2025, "FX", "district", MAX_SEQUENCE + 1),
        (2025, "FX", "district", 7.0),
    ],
)
def test_formatting_rejects_values_outside_the_scheme(year, code, level, sequence):
    with pytest.raises(ValueError):
        certificate_number(year, code, level, sequence)


def _noisy(text: str, lower: list[bool], spaces: list[str]) -> str:
    """Lower some letters and sprinkle whitespace the way people retype numbers."""
    pieces = []
    for index, character in enumerate(text):
        retyped = character.lower() if lower[index % len(lower)] else character
        pieces.append(spaces[index % len(spaces)] + retyped)
    return "".join(pieces) + spaces[0]


@given(
    year=st.integers(2000, 2099),
    code=st.sampled_from(sorted(DISTRICT_CODES)),
    level=st.sampled_from(list(Level)),
    sequence=st.integers(1, MAX_SEQUENCE),
    lower=st.lists(st.booleans(), min_size=1, max_size=8),
    spaces=st.lists(st.sampled_from(["", "", " ", "\t", "\n", "\u3000"]), min_size=1, max_size=8),
)
def test_round_trip_through_retyping(year, code, level, sequence, lower, spaces):
    number = certificate_number(year, code, level, sequence)
    parsed = parse_certificate_number(_noisy(number, lower, spaces))
    assert parsed == CertificateNumber(year, code, level, sequence)
    assert str(parsed) == number


@given(st.text(max_size=30))
def test_whatever_parses_is_the_canonical_form_of_the_input(text):
    parsed = parse_certificate_number(text)
    if parsed is not None:
        assert str(parsed) == "".join(text.split()).upper()
