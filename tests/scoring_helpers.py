"""Hypothesis strategies shared by the scoring property tests."""

from decimal import Decimal

from hypothesis import strategies as st

from outlet_audit.criteria import Item


def value_strategy(item: Item, *, max_count: int) -> st.SearchStrategy:
    """Any value the item's answer type accepts; counts from 0 to `max_count`."""
    spec = item.answer
    if spec.type == "yes_no":
        return st.booleans()
    if spec.type == "choice":
        return st.sampled_from([option.code for option in spec.options])
    if spec.type == "percentage":
        return st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
    return st.integers(min_value=0, max_value=max_count).map(Decimal)
