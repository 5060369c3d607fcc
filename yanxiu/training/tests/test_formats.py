"""Hours read the same on every database: 55, 55.5, never 55.0."""

from decimal import Decimal

import pytest

from yanxiu.training.formats import hours_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("55.0"), "55"),  # PostgreSQL's Sum of a one-decimal column
        (Decimal("55"), "55"),  # SQLite's
        (Decimal("55.50"), "55.5"),
        (Decimal("100.0"), "100"),  # not 1E+2
        (Decimal("0.0"), "0"),
        (Decimal("0.5"), "0.5"),
        (60, "60"),
        (None, ""),
    ],
)
def test_hours_text(value, text) -> None:
    assert hours_text(value) == text
