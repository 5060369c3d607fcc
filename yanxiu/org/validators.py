"""Checks for the identifiers a roster carries."""

from __future__ import annotations

import re
from datetime import date

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
TEACHER_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
# GB 11643-1999: weights 2^(17-i) mod 11, and the check character for each remainder.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_number_error(value: str) -> str | None:
    """None when the 18-character citizen ID number is well formed, else the reason in Chinese."""
    number = normalise_id_number(value)
    if not ID_NUMBER_RE.match(number):
        return "身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X。"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效。"
    if id_number_check_char(number[:17]) != number[17]:
        return "身份证号校验位不正确。"
    return None


def mobile_error(value: str) -> str | None:
    if not MOBILE_RE.match(value):
        return "手机号应为 11 位数字，以 1 开头。"
    return None


def teacher_no_error(value: str) -> str | None:
    if not TEACHER_NO_RE.match(value):
        return "教师编号只能包含字母、数字、下划线和短横线，最长 32 位。"
    return None
