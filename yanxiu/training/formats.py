"""How training writes numbers for people."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def hours_text(value: Decimal | int | str | None) -> str:
    """Hours as people write them: 55, 55.5, never "55.0".

    PostgreSQL's Sum keeps the column's scale ("55.0") where SQLite's drops it ("55"); messages
    must read the same on both.
    """
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    # normalize() alone would print 100 as "1E+2"; the f format keeps it positional.
    return f"{number.normalize():f}" if number else "0"
