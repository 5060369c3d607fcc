"""`{{ value|hours }}`: hours as 55 or 55.5, the same on every database."""

from __future__ import annotations

from typing import Any

from django import template

from yanxiu.training.formats import hours_text

register = template.Library()


@register.filter
def hours(value: Any) -> str:
    return hours_text(value)
