"""The checks of an edition's `supervision:` section that the schema cannot make. Pure.

Each problem is located like the loader's others: `supervision.spot_check.items[2]: unknown item '9.9'`.
"""

from collections.abc import Iterator
from datetime import date

from outlet_audit.criteria.model import Edition

# A due date must fall in every year: 29 February would leave three years in four without one.
_COMMON_YEAR = 2001


def supervision_problems(edition: Edition) -> Iterator[str]:
    rules = edition.supervision
    if rules.spot_check.item_codes is not None:
        yield from _item_code_problems(edition, "supervision.spot_check.items", rules.spot_check.item_codes)
    if rules.yearly is not None:
        yield from _item_code_problems(
            edition, "supervision.yearly_self_check.items", rules.yearly.item_codes
        )
        yield from _due_problems(rules.yearly.due_month, rules.yearly.due_day)
    first_at: dict[str, int] = {}
    for i, ground in enumerate(rules.revocation_grounds):
        if ground.code in first_at:
            yield (
                f"supervision.revocation_grounds[{i}].code: duplicate ground {ground.code!r}"
                f" (also at supervision.revocation_grounds[{first_at[ground.code]}])"
            )
        else:
            first_at[ground.code] = i


def _item_code_problems(edition: Edition, path: str, codes: tuple[str, ...]) -> Iterator[str]:
    """Each code names a scored item, once: bonus items are extras, never checked on their own."""
    scored = {item.code for item in edition.items()}
    bonus = {item.code for item in edition.bonus_items()}
    first_at: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code in first_at:
            yield f"{path}[{i}]: duplicate item {code!r} (also at {path}[{first_at[code]}])"
            continue
        first_at[code] = i
        if code in bonus:
            yield f"{path}[{i}]: {code!r} is a bonus item; only scored items can be checked"
        elif code not in scored:
            yield f"{path}[{i}]: unknown item {code!r}"


def _due_problems(month: int, day: int) -> Iterator[str]:
    try:
        date(_COMMON_YEAR, month, day)
    except ValueError:
        yield (
            f"supervision.yearly_self_check.due: month {month} has no day {day} in every year;"
            " choose a day every year has (e.g. 28 February or 1 March)"
        )
