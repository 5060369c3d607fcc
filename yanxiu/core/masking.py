"""Masking personal data in lists and exports (mobiles, ID-card numbers)."""

from __future__ import annotations

import re


def mask_mobile(mobile: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not mobile:
        return ""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}{'*' * (len(mobile) - 7)}{mobile[-4:]}"


def redact_identifier(value: str) -> str:
    """What a person typed, safe for a permanent log: a mobile or ID number is masked."""
    compact = value.strip()
    if re.fullmatch(r"1\d{10}", compact):
        return mask_mobile(compact)
    if re.fullmatch(r"\d{15}|\d{17}[\dXx]", compact):
        return mask_id_number(compact)
    return value


def mask_id_number(number: str | None) -> str:
    """440105199001011234 -> 4401**********234 style: keep 4 leading and 4 trailing characters."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
